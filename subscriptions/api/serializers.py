from rest_framework import serializers

from ..models import Entitlement, Feature, Interval, Subscription, Tier


class FeatureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Feature
        fields = ["code", "name", "description"]


class TierSerializer(serializers.ModelSerializer):
    features = FeatureSerializer(many=True, read_only=True)

    class Meta:
        model = Tier
        fields = ["code", "name", "description", "order", "currency", "monthly_price", "annual_price", "features"]


class SubscriptionSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.code")
    price = serializers.IntegerField()
    currency = serializers.CharField(source="tier.currency")
    pending_tier = serializers.CharField(source="pending_tier.code", allow_null=True, default=None)

    class Meta:
        model = Subscription
        fields = [
            "tier",
            "interval",
            "status",
            "price",
            "currency",
            "current_period_start",
            "current_period_end",
            "cancel_at_period_end",
            "pending_tier",
            "pending_interval",
            "pending_effective_at",
            "grace_until",
        ]


class CurrentSerializer(serializers.Serializer):
    tier = serializers.CharField(help_text="The tier you may use now (Free without any entitlement).")
    subscription = SubscriptionSerializer(allow_null=True)


class PlanRequestSerializer(serializers.Serializer):
    tier = serializers.SlugField(max_length=30)
    interval = serializers.ChoiceField(choices=Interval.choices)


class ChangeRequestSerializer(serializers.Serializer):
    tier = serializers.SlugField(max_length=30, required=False)
    interval = serializers.ChoiceField(choices=Interval.choices, required=False)
    proration_date = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text="From the preview, so the charge equals what the preview showed.",
    )

    def validate(self, attrs):
        if not attrs.get("tier") and not attrs.get("interval"):
            raise serializers.ValidationError("Send tier and/or interval.")
        return attrs


class PreviewSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["upgrade", "downgrade", "cancel_pending_change", "cancel"])
    tier = serializers.CharField(source="tier.code")
    interval = serializers.CharField()
    amount_due_now = serializers.IntegerField()
    currency = serializers.CharField()
    effective_at = serializers.DateTimeField(allow_null=True)
    proration_date = serializers.IntegerField(allow_null=True)
    next_amount = serializers.IntegerField()
    summary = serializers.CharField()


class ChangeResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    amount_charged = serializers.IntegerField()
    effective_at = serializers.DateTimeField(allow_null=True)
    subscription = SubscriptionSerializer()


class CheckoutSerializer(serializers.Serializer):
    checkout_url = serializers.URLField()
    payment_id = serializers.UUIDField()


class FeaturesSerializer(serializers.Serializer):
    tier = serializers.CharField()
    features = serializers.ListField(child=serializers.CharField())
    entitlements = serializers.ListField(child=serializers.DictField())


class EntitlementSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.code")

    class Meta:
        model = Entitlement
        fields = ["tier", "source", "valid_from", "valid_until"]
