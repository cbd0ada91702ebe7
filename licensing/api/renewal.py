"""The renewal API for org admins (their session or personal API key; organisation keys are for seats only):
what the next term costs, a preview of a seat change, and the change itself (Idempotency-Key: it may charge)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.interface import IDEMPOTENCY_PARAMETER, idempotent
from config.schema import error_responses

from .. import selectors
from ..models import Licence
from ..models.quotes import MAX_SEATS
from ..services import licences, renewals


class RenewalSerializer(serializers.Serializer):
    renews_at = serializers.DateTimeField(allow_null=True)
    cancel_at_term_end = serializers.BooleanField(source="cancelled")
    seats = serializers.IntegerField(help_text="Seats of the next term (a scheduled reduction included).")
    seats_in_use = serializers.IntegerField(source="licence.seats_in_use")
    currency = serializers.CharField()
    unit_amount = serializers.IntegerField(help_text="Per seat for a term, in minor units.")
    total = serializers.IntegerField(help_text="The next term's price, in minor units.")


class SeatChangePreviewSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["add", "reduce", "withdraw_reduction"])
    seats = serializers.IntegerField()
    amount_due_now = serializers.IntegerField(help_text="Charged (or invoiced) now for added seats, minor units.")
    currency = serializers.CharField()
    effective_at = serializers.DateTimeField(allow_null=True)
    next_term_amount = serializers.IntegerField()
    proration_date = serializers.IntegerField(allow_null=True)
    summary = serializers.CharField()


class RenewalResponseSerializer(serializers.Serializer):
    renewal = RenewalSerializer()
    seat_change = SeatChangePreviewSerializer(allow_null=True)


class SeatChangeSerializer(serializers.Serializer):
    seats = serializers.IntegerField(min_value=1, max_value=MAX_SEATS)
    proration_date = serializers.IntegerField(required=False, help_text="From the preview, to charge exactly it.")


RENEWAL_EXAMPLE = {
    "renewal": {"renews_at": "2027-03-01T00:00:00Z", "cancel_at_term_end": False, "seats": 20, "seats_in_use": 14,
                "currency": "usd", "unit_amount": 12000, "total": 240000},
    "seat_change": None,
}  # fmt: skip


def _licence(request, slug: str) -> Licence:
    membership = selectors.membership(request.user, slug)
    if membership is None:
        raise Http404
    if not membership.is_admin:
        raise exceptions.PermissionDenied("Only the organisation's owners and admins manage its renewal.")
    licence = selectors.current_licence(membership.organisation)
    if licence is None or licence.ends_at is None:
        raise Http404
    return licence


def _body(licence: Licence, change=None) -> dict:
    data = {"renewal": RenewalSerializer(renewals.preview(licence)).data, "seat_change": None}
    if change is not None:
        data["seat_change"] = SeatChangePreviewSerializer({**change.__dict__, "summary": change.summary()}).data
    return data


@extend_schema(
    summary="The next term and a seat-change preview",
    description=(
        "When the licence renews, with how many seats and for how much. With `?seats=N` also the preview of "
        "changing to N seats: more seats apply now (the prorated difference is charged or invoiced), fewer from "
        "the renewal and never below the seats in use. Org owners and admins only."
    ),
    parameters=[OpenApiParameter("seats", int, required=False, description="Preview a change to this many seats.")],
    responses={200: RenewalResponseSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    examples=[OpenApiExample("Renewal", response_only=True, value=RENEWAL_EXAMPLE)],
    tags=["renewals"],
)
class RenewalView(APIView):
    def get(self, request, slug):
        licence = _licence(request, slug)
        raw = request.query_params.get("seats")
        if raw is None:
            return Response(_body(licence))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_SEATS:
            raise exceptions.ValidationError({"seats": [f"A number of seats from 1 to {MAX_SEATS:,}."]})
        return Response(_body(licence, licences.preview_seat_change(licence, int(raw))))


@extend_schema(
    summary="Change the number of seats",
    description=(
        "More seats take effect now and the prorated difference is charged (card) or invoiced (net 30); fewer "
        "take effect at the renewal, never below the seats in use. Needs an `Idempotency-Key` header."
    ),
    parameters=[IDEMPOTENCY_PARAMETER],
    request=SeatChangeSerializer,
    responses={200: RenewalResponseSerializer, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    examples=[
        OpenApiExample("Fewer seats from the renewal", request_only=True, value={"seats": 15}),
        OpenApiExample(
            "Scheduled",
            response_only=True,
            value={**RENEWAL_EXAMPLE, "renewal": {**RENEWAL_EXAMPLE["renewal"], "seats": 15, "total": 180000}},
        ),  # fmt: skip
        OpenApiExample(
            "Below the seats in use",
            response_only=True,
            status_codes=["409"],
            value={
                "error": {
                    "code": "below_seats_in_use",
                    "message": "14 seats are in use: choose at least 14.",
                    "fields": {},
                }
            },  # fmt: skip
        ),
    ],
    tags=["renewals"],
)
class RenewalSeatsView(APIView):
    @idempotent
    def post(self, request, slug):
        licence = _licence(request, slug)
        serializer = SeatChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changed = licences.change_seats(
            licence, data["seats"], proration_date=data.get("proration_date"), by=request.user
        )
        return Response(_body(changed))
