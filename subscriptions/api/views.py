from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.interface import IDEMPOTENCY_PARAMETER, idempotent
from config.schema import error_responses

from .. import access, selectors
from ..services import plan_changes, subscribing
from .serializers import (
    ChangeRequestSerializer,
    ChangeResultSerializer,
    CheckoutSerializer,
    CurrentSerializer,
    EntitlementSerializer,
    FeaturesSerializer,
    PlanRequestSerializer,
    PreviewSerializer,
    SubscriptionSerializer,
    TierSerializer,
)

TAGS = ["subscriptions"]


def _current(user) -> dict:
    sub = selectors.live_subscription(user)
    return {"tier": access.current_tier_code(user), "subscription": SubscriptionSerializer(sub).data if sub else None}


class TierListView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="Tiers and their features",
        description="Every tier on sale, with monthly and annual prices in minor units. Public.",
        responses={200: TierSerializer(many=True), **error_responses(429)},
        tags=TAGS,
    )
    def get(self, request):
        return Response(TierSerializer(selectors.tiers_with_features(), many=True).data)


class SubscriptionStartView(APIView):
    @extend_schema(
        summary="Subscribe",
        description="Starts Checkout in subscription mode for a paid tier; returns the URL to send the buyer to. "
        "Requires an `Idempotency-Key` header.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=PlanRequestSerializer,
        responses={201: CheckoutSerializer, **error_responses(400, 401, 404, 409, 422, 429, 502, 503)},
        tags=TAGS,
    )
    @idempotent
    def post(self, request):
        serializer = PlanRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        start = subscribing.start_subscription(request.user, data["tier"], data["interval"])
        return Response({"checkout_url": start.url, "payment_id": str(start.payment.pk)}, status=201)


class CurrentView(APIView):
    @extend_schema(
        summary="Your plan",
        description="The tier you may use now and your live subscription (null when none).",
        responses={200: CurrentSerializer, **error_responses(401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        return Response(_current(request.user))

    @extend_schema(
        summary="Change plan",
        description="Change tier and/or interval. Upgrades apply now and charge the prorated amount (pass the "
        "preview's `proration_date` to be charged exactly what it showed); downgrades apply at the period end. "
        "Requires an `Idempotency-Key` header: a retry with the same key replays the first answer.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=ChangeRequestSerializer,
        responses={200: ChangeResultSerializer, **error_responses(400, 401, 402, 404, 409, 422, 429, 502, 503)},
        tags=TAGS,
    )
    @idempotent
    def patch(self, request):
        serializer = ChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = plan_changes.change_plan(
            request.user, data.get("tier", ""), data.get("interval"), proration_date=data.get("proration_date")
        )
        # Serialized to plain JSON types: the idempotency record stores this body for replays.
        return Response(ChangeResultSerializer(result).data)


class PreviewChangeView(APIView):
    @extend_schema(
        summary="Preview a plan change",
        description="What changing would charge now (Stripe's invoice preview) and when it takes effect.",
        request=ChangeRequestSerializer,
        responses={200: PreviewSerializer, **error_responses(400, 401, 404, 409, 429, 502, 503)},
        tags=TAGS,
    )
    def post(self, request):
        serializer = ChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        preview = plan_changes.preview_change(request.user, data.get("tier", ""), data.get("interval"))
        return Response(PreviewSerializer(preview).data)


class CancelView(APIView):
    @extend_schema(
        summary="Cancel at period end",
        description="Your plan stays until the end of the paid period, then you move to Free.",
        request=None,
        responses={200: CurrentSerializer, **error_responses(401, 409, 429, 502, 503)},
        tags=TAGS,
    )
    def post(self, request):
        plan_changes.cancel(request.user)
        return Response(_current(request.user))


class ResumeView(APIView):
    @extend_schema(
        summary="Resume a cancelled subscription",
        description="Undo a cancellation before the period ends.",
        request=None,
        responses={200: CurrentSerializer, **error_responses(401, 409, 429, 502, 503)},
        tags=TAGS,
    )
    def post(self, request):
        plan_changes.resume(request.user)
        return Response(_current(request.user))


class MyFeaturesView(APIView):
    @extend_schema(
        summary="Your features",
        description="The feature codes you may use now, your tier, and the entitlements granting them.",
        responses={200: FeaturesSerializer, **error_responses(401, 429)},
        tags=TAGS,
    )
    def get(self, request):
        now = timezone.now()
        live = [
            e
            for e in selectors.entitlements_for(request.user).filter(revoked_at__isnull=True, valid_from__lte=now)
            if e.valid_until is None or e.valid_until > now
        ]
        return Response(
            {
                "tier": access.current_tier_code(request.user),
                "features": sorted(access.features(request.user)),
                "entitlements": EntitlementSerializer(live, many=True).data,
            }
        )
