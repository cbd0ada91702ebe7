"""The instructor's earnings and sales over the API (instructors only)."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import error_responses

from .. import earnings_selectors
from ..models import InstructorBalance, Payout, Sale


class IsInstructor(permissions.BasePermission):
    message = "Only instructors have earnings. Apply to teach first."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_instructor)


class BalanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = InstructorBalance
        fields = ["currency", "pending", "available", "debt"]
        read_only_fields = fields


class TotalsSerializer(serializers.Serializer):
    """Reads an `earnings_selectors.CurrencyTotals`."""

    currency = serializers.CharField()
    sales = serializers.IntegerField()
    gross = serializers.IntegerField(help_text="Minor units.")
    platform_fee = serializers.IntegerField()
    instructor_share = serializers.IntegerField()
    refund_reversals = serializers.IntegerField(help_text="Share taken back by refunds (positive).")
    net = serializers.IntegerField(help_text="Share minus refund reversals.")


class PayoutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payout
        fields = ["id", "amount", "currency", "status", "stripe_transfer_id", "created_at", "paid_at"]
        read_only_fields = fields


class EarningsSerializer(serializers.Serializer):
    """Reads an `earnings_selectors.Dashboard`."""

    payouts_enabled = serializers.BooleanField(help_text="Whether the connected account can receive payouts.")
    balances = BalanceSerializer(many=True)
    totals = TotalsSerializer(many=True)
    recent_payouts = PayoutSerializer(many=True, source="payouts")


class SaleCourseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    slug = serializers.CharField()


class SaleSerializer(serializers.ModelSerializer):
    course = serializers.SerializerMethodField()
    refunded = serializers.IntegerField(source="payment.amount_refunded", help_text="Gross refunded, minor units.")

    class Meta:
        model = Sale
        fields = [
            "id",
            "course",
            "gross",
            "currency",
            "instructor_bps",
            "instructor_amount",
            "platform_amount",
            "refunded",
            "created_at",
            "available_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SaleCourseSerializer)
    def get_course(self, sale: Sale) -> dict:
        return {"id": sale.course_id, "title": sale.course.title, "slug": sale.course.slug}


@extend_schema(
    summary="Your earnings",
    description="Balances (pending, available, debt) per currency, sales totals and recent payouts. Instructors only.",
    responses={200: EarningsSerializer, **error_responses(401, 403, 429)},
    tags=["instructor"],
)
class EarningsView(APIView):
    permission_classes = [IsInstructor]

    def get(self, request):
        return Response(EarningsSerializer(earnings_selectors.dashboard(request.user)).data)


@extend_schema(
    summary="Your sales",
    description="Every sale of your courses, newest first, with its frozen split. Instructors only.",
    responses={200: SaleSerializer(many=True), **error_responses(401, 403, 429)},
    tags=["instructor"],
)
class SalesView(generics.ListAPIView):
    serializer_class = SaleSerializer
    permission_classes = [IsInstructor]
    filter_backends: list = []

    def get_queryset(self):
        return earnings_selectors.sales_for(self.request.user)
