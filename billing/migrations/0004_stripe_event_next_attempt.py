from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone


def schedule_unfinished_events(apps, schema_editor):
    """Events already failed or unfinished (within the 3 days of re-drive) are picked up by the next beat run."""
    StripeEvent = apps.get_model("billing", "StripeEvent")
    now = timezone.now()
    StripeEvent.objects.filter(
        status__in=["pending", "processing", "failed"], received_at__gte=now - timedelta(days=3)
    ).update(next_attempt_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0003_money_hardening"),
    ]

    operations = [
        migrations.AddField(
            model_name="stripeevent",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(schedule_unfinished_events, migrations.RunPython.noop),
    ]
