"""The default earning rules, tier boosts (Pro ×1.5, Enterprise ×2), the programme row and the shop's items.
Re-seeded for every test by the root conftest (get_or_create: a database that has them is left as it is)."""

from django.db import migrations

RULES = [
    # code, name, tokens, per_lesson, cap, streak_days
    ("lesson_completed", "Lesson completed", 2, 0, None, None),
    ("course_completed", "Course completed", 20, 1, 100, None),
    ("first_course", "First course ever", 25, 0, None, None),
    ("streak_7", "7-day streak", 10, 0, None, 7),
    ("streak_30", "30-day streak", 50, 0, None, 30),
    ("streak_100", "100-day streak", 150, 0, None, 100),
    ("streak_365", "365-day streak", 500, 0, None, 365),
]
BOOSTS = [("pro", 15000), ("enterprise", 20000)]
ITEMS = [
    # code, name, kind, price, description, extra
    ("streak-freeze", "Streak freeze", "streak_freeze", 50, "Keeps your streak for one missed day. Hold up to two.", {}),
    ("pro-7-days", "7 days of Pro", "pro_days", 250, "The Pro library, certificates and the token boost for a week.", {"days": 7}),
    (
        "course-coupon-20",
        "20% off a course",
        "course_coupon",
        200,
        "A single-use code for 20% off one marketplace course of your choice, applied at checkout.",
        {"percent_off": 20},
    ),
    ("badge-scholar", "Scholar badge", "badge", 100, "A badge on your profile and beside your name.", {"badge_label": "Scholar", "per_learner_limit": 1}),
]


def seed(apps, schema_editor):
    EarningRule = apps.get_model("rewards", "EarningRule")
    TokenBoost = apps.get_model("rewards", "TokenBoost")
    Program = apps.get_model("rewards", "Program")
    ShopItem = apps.get_model("rewards", "ShopItem")
    for code, name, tokens, per_lesson, cap, streak_days in RULES:
        EarningRule.objects.get_or_create(
            code=code,
            defaults={"name": name, "tokens": tokens, "per_lesson": per_lesson, "cap": cap, "streak_days": streak_days},
        )
    for tier_code, bps in BOOSTS:
        TokenBoost.objects.get_or_create(tier_code=tier_code, defaults={"multiplier_bps": bps})
    Program.objects.get_or_create(pk=1)
    for order, (code, name, kind, price, description, extra) in enumerate(ITEMS):
        ShopItem.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "price": price, "description": description, "order": order, **extra},
        )


class Migration(migrations.Migration):
    dependencies = [("rewards", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
