"""The organisation's usage: seats and API calls per month (an org admin, or an organisation key with seats:read)."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import error_responses

from ..services import usage
from .views import SEAT_AUTH, _licence_for


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    calls = serializers.IntegerField()


class UsageSerializer(serializers.Serializer):
    seats_bought = serializers.IntegerField()
    seats_assigned = serializers.IntegerField()
    seats_active_30_days = serializers.IntegerField(help_text="Members with a seat who signed in within 30 days.")
    invitations_waiting = serializers.IntegerField()
    api_calls_this_month = serializers.IntegerField()
    api_calls_limit = serializers.IntegerField(allow_null=True, help_text="Calls allowed per month; null: no limit.")
    api_calls = MonthSerializer(many=True, help_text="The last 12 months, oldest first.")


@extend_schema(
    summary="The organisation's usage",
    description=(
        "Seats bought, assigned and active in the last 30 days, invitations waiting, and API calls per month by "
        "the organisation's keys over the last year. Past a licence's monthly API limit, calls with the "
        "organisation's keys answer 429 (`api_limit_reached`) with `Retry-After` set to the next month."
    ),
    responses={200: UsageSerializer, **error_responses(401, 403, 404, 429)},
    examples=[
        OpenApiExample(
            "Usage",
            response_only=True,
            value={
                "seats_bought": 25,
                "seats_assigned": 18,
                "seats_active_30_days": 15,
                "invitations_waiting": 3,
                "api_calls_this_month": 1200,
                "api_calls_limit": 10000,
                "api_calls": [{"month": "2026-11", "calls": 4100}, {"month": "2026-12", "calls": 1200}],
            },
        ),  # fmt: skip
        OpenApiExample(
            "Limit reached",
            response_only=True,
            status_codes=["429"],
            value={
                "error": {
                    "code": "api_limit_reached",
                    "message": "Acme has used its 10,000 API calls for "
                    "December 2026; calls are accepted again on 1 January 2027.",
                    "fields": {},
                }
            },
        ),  # fmt: skip
    ],
    tags=["seats"],
)
class UsageView(APIView):
    authentication_classes = SEAT_AUTH

    def get(self, request, slug):
        licence = _licence_for(request, slug, write=False)
        figures = usage.usage(licence.organisation)
        data = {
            **{k: getattr(figures, k) for k in ("seats_bought", "seats_assigned", "seats_active_30_days")},
            "invitations_waiting": figures.invitations_waiting,
            "api_calls_this_month": figures.api_calls_this_month,
            "api_calls_limit": figures.api_calls_limit,
            "api_calls": [{"month": f"{m:%Y-%m}", "calls": c} for m, c in figures.api_calls],
        }
        return Response(UsageSerializer(data).data)
