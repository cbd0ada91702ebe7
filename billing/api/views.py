from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.interface import ActPermission
from config.errors import DomainError, NotFoundError
from config.schema import error_responses

from .. import registry, selectors, services
from ..idempotency import IDEMPOTENCY_PARAMETER, idempotent
from ..models import Payment, Refund
from .filters import PaymentFilter
from .serializers import (
    CheckoutResponseSerializer,
    PaymentSerializer,
    ReceiptSerializer,
    RefundRequestSerializer,
    RefundSerializer,
    StartPaymentSerializer,
)


def _payments(user):
    refunds = Prefetch("refunds", queryset=Refund.objects.order_by("created_at"))
    return selectors.payments_for(user).prefetch_related(refunds)


@extend_schema_view(
    get=extend_schema(
        summary="Your payments",
        description="Your own payment history, newest first. Filter by status and date.",
        responses={200: PaymentSerializer(many=True), **error_responses(400, 401, 429)},
        tags=["payments"],
    )
)
class PaymentListView(generics.ListAPIView):
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Payment.objects.none()
        return _payments(self.request.user).filter(user=self.request.user).order_by("-created_at")

    @extend_schema(
        summary="Start a payment",
        description=(
            "Starts a payment for something sold under `purpose` and returns the Stripe Checkout URL to send "
            "the buyer to. Requires an `Idempotency-Key` header."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=StartPaymentSerializer,
        responses={201: CheckoutResponseSerializer, **error_responses(400, 401, 404, 409, 422, 429, 502, 503)},
        tags=["payments"],
    )
    @idempotent
    def post(self, request):
        serializer = StartPaymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purpose = registry.get_purpose(serializer.validated_data["purpose"])
        if purpose is None or purpose.checkout is None:
            raise NotFoundError(
                f"Nothing can be bought under “{serializer.validated_data['purpose']}”.",
                code="unknown_purpose",
                fields={"purpose": ["Unknown purpose."]},
            )
        reference = serializer.validated_data["reference"]
        items, description, mode = purpose.checkout(request.user, reference)
        start = services.start_checkout(
            request.user, purpose.code, items, description=description, reference=reference, mode=mode
        )
        return Response({"payment": PaymentSerializer(start.payment).data, "checkout_url": start.url}, status=201)


@extend_schema(
    summary="One payment",
    description="Your own payment; staff who may read payments (Finance, Support) may read any.",
    responses={200: PaymentSerializer, **error_responses(401, 404, 429)},
    tags=["payments"],
)
class PaymentDetailView(generics.RetrieveAPIView):
    serializer_class = PaymentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Payment.objects.none()
        return _payments(self.request.user)


class PaymentRefundView(APIView):
    # Finance's act, as in the console (accounts/permission_table.py "billing.refund").
    permission_classes = [permissions.IsAuthenticated, ActPermission]

    @extend_schema(
        summary="Refund a payment (staff)",
        description=(
            "Refunds all (no amount) or part of a payment. Staff with the refund permission (Finance) only; "
            "anyone else: 403. Requires an `Idempotency-Key` header."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=RefundRequestSerializer,
        responses={201: RefundSerializer, **error_responses(400, 401, 403, 404, 409, 422, 429, 502, 503)},
        tags=["payments"],
    )
    @idempotent
    def post(self, request, pk):
        payment = get_object_or_404(Payment, pk=pk)
        serializer = RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        refund = services.refund_payment(
            payment,
            amount=serializer.validated_data.get("amount"),
            reason=serializer.validated_data["reason"],
            requested_by=request.user,
            source=Refund.Source.API,
        )
        return Response(RefundSerializer(refund).data, status=201)


class PaymentReceiptView(APIView):
    @extend_schema(
        summary="A payment's receipt",
        responses={200: ReceiptSerializer, **error_responses(401, 404, 409, 429)},
        tags=["payments"],
    )
    def get(self, request, pk):
        payment = get_object_or_404(_payments(request.user).select_related("user"), pk=pk)
        if not payment.is_paid:
            raise DomainError(
                "There is no receipt for a payment that did not go through.", code="no_receipt", status_code=409
            )
        refunds = [r for r in payment.refunds.all() if r.status == Refund.Status.SUCCEEDED]
        data = {
            "receipt_number": payment.receipt_number,
            "paid_at": payment.succeeded_at,
            "billed_to": payment.user.email,
            "description": payment.description,
            "lines": payment.line_items,
            "amount": payment.amount,
            "amount_refunded": payment.amount_refunded,
            "net_amount": payment.net_amount,
            "currency": payment.currency,
            "refunds": RefundSerializer(refunds, many=True).data,
        }
        return Response(ReceiptSerializer(data).data)
