from django.db import migrations

TIERS = [
    ("free", "Free", "Start learning: free courses and progress tracking.", 0, 0, 0),
    ("pro", "Pro", "The Pro library, certificates and a token boost.", 1, 999, 9900),
    ("enterprise", "Enterprise", "Everything in Pro with priority support.", 2, 9900, 99000),
]
FEATURES = [
    ("pro_library", "Pro library", "Take every course in the Pro library without buying it."),
    ("certificates", "Completion certificates", "A certificate for every course you complete."),
    ("token_boost", "Token boost", "Earn more reward tokens for learning."),
    ("priority_support", "Priority support", "Support answers you first."),
]
MAPPING = {
    "free": [],
    "pro": ["pro_library", "certificates", "token_boost"],
    "enterprise": ["pro_library", "certificates", "token_boost", "priority_support"],
}


def seed(apps, schema_editor):
    Tier = apps.get_model("subscriptions", "Tier")
    Feature = apps.get_model("subscriptions", "Feature")
    TierFeature = apps.get_model("subscriptions", "TierFeature")
    features = {}
    for code, name, description in FEATURES:
        features[code], _ = Feature.objects.get_or_create(code=code, defaults={"name": name, "description": description})
    for code, name, description, order, monthly, annual in TIERS:
        tier, _ = Tier.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "order": order,
                "currency": "usd",
                "monthly_price": monthly,
                "annual_price": annual,
            },
        )
        for feature_code in MAPPING[code]:
            TierFeature.objects.get_or_create(tier=tier, feature=features[feature_code])


def keep_seeded(apps, schema_editor):
    """Going back keeps the tiers and features: deleting them would take the subscriptions and entitlements
    that point at them, and going forward again would create new rows in their place (the rollback test in
    deploy/tests/test_migrations.py). `seed` is idempotent, so going forward again changes nothing."""


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial")]
    operations = [migrations.RunPython(seed, keep_seeded)]
