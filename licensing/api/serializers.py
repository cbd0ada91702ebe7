from rest_framework import serializers

from ..models import Activation, Seat


class KeyRequestSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=8192, trim_whitespace=True, help_text="The licence key.")


class ActivateSerializer(KeyRequestSerializer):
    fingerprint = serializers.CharField(
        max_length=200, help_text="A stable id of the installation, e.g. a machine id hash."
    )
    name = serializers.CharField(max_length=120, help_text="A name people recognise, e.g. “HR sync (prod)”.")


class ValidateSerializer(KeyRequestSerializer):
    fingerprint = serializers.CharField(max_length=200, required=False, allow_blank=True)


class LicenceSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    organisation = serializers.CharField(source="organisation.slug")
    status = serializers.CharField()
    seats = serializers.IntegerField()
    seats_in_use = serializers.IntegerField()
    tier = serializers.CharField(source="tier_code")
    expires_at = serializers.DateTimeField(source="ends_at", allow_null=True)
    max_activations = serializers.IntegerField()


class ValidationSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["valid", "expired", "suspended", "revoked", "pending", "unknown"],
        help_text="valid; expired; suspended (unpaid, or by staff); revoked (cancelled); pending (not paid yet); unknown.",
    )
    valid = serializers.BooleanField()
    message = serializers.CharField()
    licence = LicenceSummarySerializer(allow_null=True)
    features = serializers.ListField(child=serializers.CharField())


class ActivationSerializer(serializers.ModelSerializer):
    licence = LicenceSummarySerializer(read_only=True)

    class Meta:
        model = Activation
        fields = ["id", "fingerprint", "name", "created_at", "last_seen_at", "licence"]


class SeatSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(allow_null=True, read_only=True)

    class Meta:
        model = Seat
        fields = [
            "id",
            "email",
            "status",
            "source",
            "user_id",
            "invited_at",
            "invitation_expires_at",
            "activated_at",
            "revoked_at",
        ]


class SeatCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="The person to invite; they get an e-mail with a single-use link.")
