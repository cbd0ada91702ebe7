from rest_framework import serializers

from ..models import Redemption, ShopItem, TokenEntry


class WalletSerializer(serializers.Serializer):
    """Reads a `selectors.Summary`."""

    balance = serializers.IntegerField(help_text="Tokens you can spend.")
    owed = serializers.IntegerField(help_text="Tokens owed from a refunded course, taken from future earnings.")
    lifetime = serializers.IntegerField(help_text="Tokens earned in all, less refunded courses' (the global board).")
    streak = serializers.IntegerField(help_text="Days in a row with learning, as it stands today.")
    freezes = serializers.IntegerField(help_text="Streak freezes held (at most 2).")
    league = serializers.CharField(source="level_name")


class EntrySerializer(serializers.ModelSerializer):
    course = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    item = serializers.CharField(source="redemption.item.code", default=None, allow_null=True)

    class Meta:
        model = TokenEntry
        fields = [
            "id",
            "kind",
            "amount",
            "owed_change",
            "cause",
            "rule_code",
            "base_amount",
            "multiplier_bps",
            "capped",
            "course",
            "item",
            "note",
            "local_date",
            "created_at",
        ]
        read_only_fields = fields


class StreakSerializer(serializers.Serializer):
    current = serializers.IntegerField()
    longest = serializers.IntegerField()
    freezes = serializers.IntegerField()
    learned_today = serializers.BooleanField()
    next_milestone_days = serializers.IntegerField(allow_null=True)
    next_milestone_tokens = serializers.IntegerField(allow_null=True)
    league = serializers.CharField()
    week_ends_at = serializers.DateTimeField()


class BoardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    learner = serializers.IntegerField(source="user_id")
    name = serializers.CharField()
    tokens = serializers.IntegerField()


class BoardSerializer(serializers.Serializer):
    board = serializers.CharField()
    rows = BoardRowSerializer(many=True)
    me = BoardRowSerializer(allow_null=True, help_text="Your own row, even outside the top 50; null if not on it.")
    total = serializers.IntegerField(help_text="Learners on the board.")


class ShopItemSerializer(serializers.ModelSerializer):
    redeemed_by_you = serializers.IntegerField(source="mine", default=0)

    class Meta:
        model = ShopItem
        fields = [
            "id",
            "code",
            "name",
            "description",
            "kind",
            "price",
            "stock",
            "per_learner_limit",
            "available_until",
            "days",
            "redeemed_by_you",
        ]
        read_only_fields = fields


class RedemptionSerializer(serializers.ModelSerializer):
    item = serializers.CharField(source="item.code")
    message = serializers.CharField(read_only=True)

    class Meta:
        model = Redemption
        fields = ["id", "item", "price", "status", "detail", "coupon_code", "course", "message", "created_at"]
        read_only_fields = fields


class RedeemRequestSerializer(serializers.Serializer):
    course = serializers.IntegerField(
        required=False, min_value=1, help_text="Course coupons: the paid course the code is for."
    )


class FollowRequestSerializer(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1, help_text="The learner's id (from their profile link).")


class FollowPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class FollowsSerializer(serializers.Serializer):
    friends = FollowPersonSerializer(many=True)
    following = FollowPersonSerializer(many=True)
    followers = FollowPersonSerializer(many=True)


class AdjustmentRequestSerializer(serializers.Serializer):
    learner = serializers.IntegerField(min_value=1)
    amount = serializers.IntegerField(min_value=-1_000_000, max_value=1_000_000, help_text="Not zero.")
    reason = serializers.CharField(max_length=500)
