from django.urls import reverse
from rest_framework import serializers

from ..models import Payment, Refund
from ..money import MAX_AMOUNT


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "reason", "status", "source", "created_at"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    refunds = RefundSerializer(many=True, read_only=True)
    receipt_url = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "purpose",
            "reference",
            "description",
            "amount",
            "currency",
            "amount_refunded",
            "status",
            "failure_message",
            "receipt_number",
            "receipt_url",
            "created_at",
            "succeeded_at",
            "refunds",
        ]
        read_only_fields = fields

    def get_receipt_url(self, payment: Payment) -> str | None:
        if not payment.is_paid:
            return None
        return reverse("api:payment-receipt", args=[payment.pk])


class StartPaymentSerializer(serializers.Serializer):
    purpose = serializers.CharField(max_length=40, help_text="What is being bought, e.g. `course`.")
    reference = serializers.CharField(max_length=120, help_text="Which one, e.g. the course id.")


class CheckoutResponseSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    checkout_url = serializers.URLField()


class RefundRequestSerializer(serializers.Serializer):
    amount = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_AMOUNT,
        help_text="Minor units (cents). Omit for the whole remaining amount.",
    )
    reason = serializers.CharField(max_length=500)


class ReceiptLineSerializer(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    amount = serializers.IntegerField()
    currency = serializers.CharField()


class ReceiptSerializer(serializers.Serializer):
    receipt_number = serializers.CharField()
    paid_at = serializers.DateTimeField()
    billed_to = serializers.EmailField()
    description = serializers.CharField()
    lines = ReceiptLineSerializer(many=True)
    amount = serializers.IntegerField()
    amount_refunded = serializers.IntegerField()
    net_amount = serializers.IntegerField()
    currency = serializers.CharField()
    refunds = RefundSerializer(many=True)
