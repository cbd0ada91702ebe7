"""The licence API (activate, validate, free an activation: the licence key is the credential) and the seat
provisioning API for the customer's HR tools (an organisation API key, or an org admin's own session/key)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.interface import APIKeyAuthentication
from billing.interface import IDEMPOTENCY_PARAMETER, idempotent
from config.errors import DomainError
from config.schema import error_responses

from .. import selectors
from ..models import Licence, OrganisationAPIKey, Seat
from ..services import activations, seats
from .authentication import OrgAPIKeyAuthentication
from .serializers import (
    ActivateSerializer,
    ActivationSerializer,
    SeatCreateSerializer,
    SeatSerializer,
    ValidateSerializer,
    ValidationSerializer,
)

KEY_EXAMPLE = "eyJhbGciOiJFZERTQSIsImtpZCI6ImxrLTIwMjYwMTAxLWFiY2QiLCJ0eXAiOiJseWNldW0tbGljZW5jZStqd3MifQ.eyJ...fQ.c2ln"
LICENCE_EXAMPLE = {
    "id": "6f1c2b7e-3a55-4d0e-9b8f-0b1f1a2c3d4e",
    "organisation": "acme",
    "status": "active",
    "seats": 25,
    "seats_in_use": 12,
    "tier": "enterprise",
    "expires_at": "2027-03-01T00:00:00Z",
    "max_activations": 3,
}


class KeyCredentialView(APIView):
    """The licence key in the body (or X-Licence-Key) is the credential: no session, no CSRF, anonymous throttle."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


@extend_schema(
    summary="Activate a licence key on an installation",
    description=(
        "Binds the licence key to one installation of your integration, identified by a stable `fingerprint`. "
        "A licence allows 3 installations by default; activating the same fingerprint again returns its "
        "activation (200). Free one with `DELETE /api/v1/licences/activations/{id}/`."
    ),
    request=ActivateSerializer,
    responses={201: ActivationSerializer, 200: ActivationSerializer, **error_responses(400, 409, 429)},
    examples=[
        OpenApiExample(
            "Activate",
            request_only=True,
            value={"key": KEY_EXAMPLE, "fingerprint": "b6f4c1e0-hr-sync-prod", "name": "HR sync (prod)"},
        ),
        OpenApiExample(
            "Activated",
            response_only=True,
            status_codes=["201"],
            value={
                "id": 7,
                "fingerprint": "b6f4c1e0-hr-sync-prod",
                "name": "HR sync (prod)",
                "created_at": "2026-03-01T10:00:00Z",
                "last_seen_at": "2026-03-01T10:00:00Z",
                "licence": LICENCE_EXAMPLE,
            },
        ),
        OpenApiExample(
            "Limit reached",
            response_only=True,
            status_codes=["409"],
            value={
                "error": {
                    "code": "activation_limit_reached",
                    "message": "This licence is active on 3 installations already, its limit. Deactivate one first.",
                    "fields": {},
                }
            },
        ),
    ],
    tags=["licences"],
)
class ActivateView(KeyCredentialView):
    def post(self, request):
        serializer = ActivateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        activation, created = activations.activate(data["key"], fingerprint=data["fingerprint"], name=data["name"])
        return Response(ActivationSerializer(activation).data, status=201 if created else 200)


@extend_schema(
    summary="Validate a licence key",
    description=(
        "Answers whether the licence is usable now: `valid`, `expired`, `suspended`, `revoked` (cancelled), "
        "`pending` (not paid yet) or `unknown` (not a key of ours, forged or altered), with its seats, seats in "
        "use, features and expiry. Always 200 for a well-formed request."
    ),
    request=ValidateSerializer,
    responses={200: ValidationSerializer, **error_responses(400, 429)},
    examples=[
        OpenApiExample("Validate", request_only=True, value={"key": KEY_EXAMPLE}),
        OpenApiExample(
            "Valid",
            response_only=True,
            value={
                "status": "valid",
                "valid": True,
                "message": "The licence is valid.",
                "licence": LICENCE_EXAMPLE,
                "features": ["certificates", "priority_support", "pro_library", "token_boost"],
            },
        ),
        OpenApiExample(
            "Unknown",
            response_only=True,
            value={
                "status": "unknown",
                "valid": False,
                "message": "The signature does not match: the key was altered or forged.",
                "licence": None,
                "features": [],
            },
        ),
    ],
    tags=["licences"],
)
class ValidateView(KeyCredentialView):
    def post(self, request):
        serializer = ValidateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = activations.validate(
            serializer.validated_data["key"], fingerprint=serializer.validated_data.get("fingerprint", "")
        )
        return Response(
            ValidationSerializer(
                {
                    "status": result.status,
                    "valid": result.valid,
                    "message": result.message,
                    "licence": result.licence,
                    "features": result.features,
                }
            ).data
        )


@extend_schema(
    summary="Free an activation",
    description="Deactivates one installation so the licence key can be activated elsewhere.",
    parameters=[
        OpenApiParameter("X-Licence-Key", str, OpenApiParameter.HEADER, required=True, description="The licence key.")
    ],
    responses={204: None, **error_responses(401, 404, 429)},
    tags=["licences"],
)
class ActivationView(KeyCredentialView):
    def delete(self, request, activation_id):
        token = request.headers.get("X-Licence-Key", "")
        if not token:
            raise DomainError(
                "Send the licence key in the X-Licence-Key header.", code="not_authenticated", status_code=401
            )
        activations.deactivate(token, activation_id)
        return Response(status=204)


# Seat provisioning --------------------------------------------------------------------------------------

SEAT_AUTH = [OrgAPIKeyAuthentication, APIKeyAuthentication, SessionAuthentication]


def _licence_for(request, slug: str, *, write: bool) -> Licence:
    """The organisation's current licence, if the caller may read (or, with write, change) its seats.

    An organisation API key works only for its own organisation and scopes; people must be its owners or
    admins. Anyone else learns nothing: 404."""
    key = request.auth if isinstance(request.auth, OrganisationAPIKey) else None
    if key is not None:
        if key.organisation.slug != slug:
            raise Http404
        scope = OrganisationAPIKey.Scope.SEATS_WRITE if write else OrganisationAPIKey.Scope.SEATS_READ
        if not key.allows(scope):
            raise exceptions.PermissionDenied(f"This key lacks the {scope} scope.")
        org = key.organisation
    else:
        membership = selectors.membership(request.user, slug)
        if membership is None:
            raise Http404
        if not membership.is_admin:
            raise exceptions.PermissionDenied("Only the organisation's owners and admins manage its seats.")
        org = membership.organisation
    licence = selectors.current_licence(org)
    if licence is None:
        raise Http404
    return licence


SEAT_EXAMPLE = {
    "id": 41,
    "email": "ada@acme.example",
    "status": "invited",
    "source": "api",
    "user_id": None,
    "invited_at": "2026-03-02T09:00:00Z",
    "invitation_expires_at": "2026-04-01T09:00:00Z",
    "activated_at": None,
    "revoked_at": None,
}


@extend_schema_view(
    get=extend_schema(
        summary="The organisation's seats",
        description=(
            "Seats of the organisation's current licence (invited, active, revoked, unassigned), filtered by "
            "`?status=`. Needs an organisation API key with `seats:read`, or an org admin's session or key."
        ),
        parameters=[OpenApiParameter("status", str, enum=Seat.Status.values, required=False)],
        responses={200: SeatSerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
        tags=["seats"],
    ),
    post=extend_schema(
        summary="Invite someone to a seat",
        description=(
            "Invites the person by e-mail (a single-use link valid 30 days); the seat is taken when they accept. "
            "Needs `seats:write` and an `Idempotency-Key` header."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=SeatCreateSerializer,
        responses={201: SeatSerializer, **error_responses(400, 401, 403, 404, 409, 422, 429)},
        examples=[
            OpenApiExample("Invite", request_only=True, value={"email": "ada@acme.example"}),
            OpenApiExample("Invited", response_only=True, status_codes=["201"], value=SEAT_EXAMPLE),
        ],
        tags=["seats"],
    ),
)
class SeatListView(generics.GenericAPIView):
    authentication_classes = SEAT_AUTH
    serializer_class = SeatSerializer

    def get_queryset(self):
        return Seat.objects.none()

    def get(self, request, slug):
        licence = _licence_for(request, slug, write=False)
        status = request.query_params.get("status")
        if status and status not in Seat.Status.values:
            raise exceptions.ValidationError({"status": [f"Choose one of {', '.join(Seat.Status.values)}."]})
        qs = selectors.seats(licence, statuses=[status] if status else None).order_by("id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(SeatSerializer(page, many=True).data)

    @idempotent
    def post(self, request, slug):
        licence = _licence_for(request, slug, write=True)
        serializer = SeatCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        seat, _ = seats.invite(licence, serializer.validated_data["email"], by=request.user, source=Seat.Source.API)
        return Response(SeatSerializer(seat).data, status=201)


@extend_schema(
    summary="End a seat",
    description=(
        "Revokes an active seat (the member loses Enterprise access at once; at most 10% of the seats per term, "
        "at least one) or cancels a waiting invitation. Needs `seats:write`."
    ),
    responses={204: None, **error_responses(401, 403, 404, 409, 429)},
    tags=["seats"],
)
class SeatView(APIView):
    authentication_classes = SEAT_AUTH

    def delete(self, request, slug, seat_id):
        licence = _licence_for(request, slug, write=True)
        seats.revoke(licence, seat_id, by=request.user, reason="Revoked through the provisioning API")
        return Response(status=204)
