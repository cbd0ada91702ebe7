"""Tickets for customers with priority support: list and open, read and update (solve, reopen, rate), reply.
A customer sees their own tickets and, as an org admin, their organisation's; never internal notes."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import error_responses

from .. import selectors, services
from .serializers import (
    MessageSerializer,
    ReplyCreateSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketSerializer,
    TicketUpdateSerializer,
)

TICKET_EXAMPLE = {
    "id": 12,
    "reference": "T-00012",
    "subject": "SSO sign-in fails for new hires",
    "priority": "urgent",
    "status": "open",
    "requester": "ada@acme.example",
    "organisation": "acme",
    "rating": None,
    "rating_comment": "",
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-02T09:40:00Z",
    "solved_at": None,
}
DETAIL_EXAMPLE = {
    **TICKET_EXAMPLE,
    "messages": [
        {
            "id": 30,
            "author": "Ada Admin",
            "from_support": False,
            "body": "Nobody hired this week can sign in.",
            "created_at": "2026-03-02T09:00:00Z",
        },
        {
            "id": 31,
            "author": "Sam Support",
            "from_support": True,
            "body": "We are on it: a fix is rolling out.",
            "created_at": "2026-03-02T09:40:00Z",
        },
    ],  # fmt: skip
    "sla": [
        {"kind": "first_response", "due_at": None, "met_at": "2026-03-02T09:40:00Z", "breached": False},
        {"kind": "resolution", "due_at": "2026-03-02T17:00:00Z", "met_at": None, "breached": False},
    ],
}
NOT_INCLUDED = {
    "error": {
        "code": "support_not_included",
        "message": "Priority support comes with Lyceum Enterprise: use the contact form instead.",
        "fields": {},
    }
}


def _detail(request, ticket_id):
    ticket = selectors.customer_ticket(request.user, ticket_id)
    if ticket is None:
        raise Http404
    return ticket


@extend_schema_view(
    get=extend_schema(
        summary="Your support tickets",
        description="Your tickets and, if you administer an organisation, its members' tickets; newest first.",
        responses={200: TicketSerializer(many=True), **error_responses(400, 401, 429)},
        examples=[OpenApiExample("Tickets", response_only=True, value=[TICKET_EXAMPLE])],
        tags=["support"],
    ),
    post=extend_schema(
        summary="Open a support ticket",
        description=(
            "For members of an organisation with an active licence and plans with priority support; the SLA of "
            "your plan starts at once. Anyone else gets 403 (`support_not_included`) and the contact form on the "
            "help page. Attachments are added from the web page."
        ),
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer, **error_responses(400, 401, 403, 429)},
        examples=[
            OpenApiExample(
                "Open",
                request_only=True,
                value={
                    "subject": "SSO sign-in fails for new hires",
                    "description": "Nobody hired this week can sign in.",
                    "priority": "urgent",
                },  # fmt: skip
            ),
            OpenApiExample("Opened", response_only=True, status_codes=["201"], value=DETAIL_EXAMPLE),
            OpenApiExample("Not included", response_only=True, status_codes=["403"], value=NOT_INCLUDED),
        ],
        tags=["support"],
    ),
)
class TicketListView(generics.GenericAPIView):
    serializer_class = TicketSerializer

    def get_queryset(self):
        return selectors.visible_tickets(self.request.user)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TicketSerializer(page, many=True).data)

    def post(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.open_ticket(request.user, **serializer.validated_data)
        return Response(TicketDetailSerializer(_detail(request, ticket.pk)).data, status=201)


@extend_schema_view(
    get=extend_schema(
        summary="A support ticket",
        description="The ticket, its conversation (never Support's internal notes) and its SLA targets.",
        responses={200: TicketDetailSerializer, **error_responses(401, 404, 429)},
        examples=[OpenApiExample("Ticket", response_only=True, value=DETAIL_EXAMPLE)],
        tags=["support"],
    ),
    patch=extend_schema(
        summary="Mark a ticket solved, reopen it, or rate it",
        description="`status`: `solved` or `open` (reopen). `rating` 1–5 with an optional `rating_comment`, once, "
        "when the ticket is solved.",
        request=TicketUpdateSerializer,
        responses={200: TicketDetailSerializer, **error_responses(400, 401, 404, 409, 429)},
        examples=[
            OpenApiExample("Rate", request_only=True, value={"rating": 5, "rating_comment": "Fast and clear."}),
            OpenApiExample("Rated", response_only=True, value={**DETAIL_EXAMPLE, "status": "solved", "rating": 5}),
            OpenApiExample(
                "Not solved yet",
                response_only=True,
                status_codes=["409"],
                value={
                    "error": {"code": "not_solved", "message": "You can rate a ticket once it is solved.", "fields": {}}
                },  # fmt: skip
            ),
        ],
        tags=["support"],
    ),
)
class TicketView(APIView):
    def get(self, request, ticket_id):
        return Response(TicketDetailSerializer(_detail(request, ticket_id)).data)

    def patch(self, request, ticket_id):
        ticket = _detail(request, ticket_id)
        serializer = TicketUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.customer_update(
            ticket, by=request.user, status=data.get("status"), rating=data.get("rating"),
            comment=data.get("rating_comment"),
        )  # fmt: skip
        return Response(TicketDetailSerializer(_detail(request, ticket_id)).data)


@extend_schema(
    summary="Reply to a ticket",
    description="Adds your message to the conversation; a ticket waiting on you (or solved) opens again.",
    request=ReplyCreateSerializer,
    responses={201: MessageSerializer, **error_responses(400, 401, 404, 409, 429)},
    examples=[
        OpenApiExample("Reply", request_only=True, value={"body": "It works again, thank you."}),
        OpenApiExample(
            "Sent",
            response_only=True,
            status_codes=["201"],
            value={
                "id": 32,
                "author": "Ada Admin",
                "from_support": False,
                "body": "It works again, thank you.",
                "created_at": "2026-03-02T10:05:00Z",
            },  # fmt: skip
        ),
    ],
    tags=["support"],
)
class ReplyView(APIView):
    def post(self, request, ticket_id):
        ticket = _detail(request, ticket_id)
        serializer = ReplyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.customer_reply(ticket, author=request.user, body=serializer.validated_data["body"])
        return Response(MessageSerializer(message).data, status=201)
