"""The default SLA policies: Enterprise in office hours (first response urgent 1 h, high 4 h, normal 24 h,
low 48 h), Pro's priority support twice as long. Staff tune them in the console; seeding never overwrites."""

from datetime import time

from django.db import migrations

CALENDAR = {"name": "Office hours (UTC)", "timezone": "UTC", "weekdays": [0, 1, 2, 3, 4]}
# priority: (first response, resolution) in minutes of the calendar's hours, for Enterprise.
ENTERPRISE = {"urgent": (60, 8 * 60), "high": (4 * 60, 24 * 60), "normal": (24 * 60, 72 * 60),
              "low": (48 * 60, 120 * 60)}  # fmt: skip
POLICIES = {"enterprise": ("Enterprise", 1), "pro": ("Pro priority support", 2)}


def seed(apps, schema_editor):
    BusinessCalendar = apps.get_model("support", "BusinessCalendar")
    SLAPolicy = apps.get_model("support", "SLAPolicy")
    SLATarget = apps.get_model("support", "SLATarget")
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name=CALENDAR["name"],
        defaults={**CALENDAR, "opens_at": time(9, 0), "closes_at": time(17, 0)},
    )
    for tier_code, (name, factor) in POLICIES.items():
        policy, created = SLAPolicy.objects.get_or_create(
            tier_code=tier_code, defaults={"name": name, "calendar": calendar}
        )
        if not created:
            continue
        for priority, (first, resolution) in ENTERPRISE.items():
            SLATarget.objects.create(
                policy=policy,
                priority=priority,
                first_response_minutes=first * factor,
                resolution_minutes=resolution * factor,
            )


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
