"""The rewards API: your wallet, history, streak, leaderboards, the shop, follows, and staff adjustments."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.interface import ActPermission, User
from billing.interface import IDEMPOTENCY_PARAMETER, idempotent
from config.errors import DomainError, NotFoundError
from config.schema import error_responses

from .. import selectors
from ..models import TokenEntry
from ..services import boards, earning, follows, leagues, shop
from . import serializers as s

TAGS = ["rewards"]
WALLET_EXAMPLE = OpenApiExample(
    "A wallet",
    value={"balance": 120, "owed": 0, "lifetime": 310, "streak": 12, "freezes": 1, "league": "Gold"},
    response_only=True,
)
REDEMPTION_EXAMPLE = OpenApiExample(
    "Redeemed",
    value={
        "id": 7,
        "item": "streak-freeze",
        "price": 50,
        "status": "granted",
        "detail": "Streak freeze added: you hold 1.",
        "coupon_code": "",
        "course": None,
        "message": "You redeemed “Streak freeze” for 50 tokens. Streak freeze added: you hold 1.",
        "created_at": "2026-12-06T10:00:00Z",
    },
    response_only=True,
)
BOARD_EXAMPLE = OpenApiExample(
    "Global board",
    value={
        "board": "global",
        "rows": [
            {"rank": 1, "learner": 42, "name": "Ada", "tokens": 910},
            {"rank": 2, "learner": 7, "name": "Leo", "tokens": 860},
        ],
        "me": {"rank": 318, "learner": 99, "name": "You", "tokens": 40},
        "total": 5230,
    },
    response_only=True,
)


class WalletView(APIView):
    @extend_schema(
        summary="Your token wallet",
        description="Balance, tokens owed from refunded courses, all-time earnings, streak and league.",
        responses={200: s.WalletSerializer, **error_responses(401, 429)},
        examples=[WALLET_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request):
        return Response(s.WalletSerializer(selectors.wallet_summary(request.user)).data)


class EntryListView(generics.ListAPIView):
    serializer_class = s.EntrySerializer

    def get_queryset(self):
        kind = self.request.query_params.get("kind") or None
        if kind is not None and kind not in TokenEntry.Kind.values:
            raise serializers.ValidationError({"kind": [f"Use one of: {', '.join(TokenEntry.Kind.values)}."]})
        return selectors.entries(self.request.user, kind)

    @extend_schema(
        summary="Your token history",
        description="Every movement of your tokens, newest first.",
        parameters=[OpenApiParameter("kind", str, enum=TokenEntry.Kind.values, description="Only this kind.")],
        responses={200: s.EntrySerializer(many=True), **error_responses(400, 401, 429)},
        examples=[
            OpenApiExample(
                "History",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "id": 3,
                            "kind": "earned",
                            "amount": 3,
                            "owed_change": 0,
                            "cause": "lesson:12",
                            "rule_code": "lesson_completed",
                            "base_amount": 2,
                            "multiplier_bps": 15000,
                            "capped": 0,
                            "course": 4,
                            "item": None,
                            "note": "",
                            "local_date": "2026-12-06",
                            "created_at": "2026-12-06T10:00:00Z",
                        }
                    ],
                },
                response_only=True,
            )
        ],
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class StreakView(APIView):
    @extend_schema(
        summary="Your streak",
        description="Your streak in your own calendar (profile time zone), freezes, the next milestone, your league.",
        responses={200: s.StreakSerializer, **error_responses(401, 429)},
        examples=[
            OpenApiExample(
                "A streak",
                value={
                    "current": 5,
                    "longest": 21,
                    "freezes": 2,
                    "learned_today": True,
                    "next_milestone_days": 7,
                    "next_milestone_tokens": 10,
                    "league": "Silver",
                    "week_ends_at": "2026-12-07T00:00:00Z",
                },
                response_only=True,
            )
        ],
        tags=TAGS,
    )
    def get(self, request):
        summary = selectors.wallet_summary(request.user)
        milestone = selectors.next_milestone(summary.streak)
        return Response(
            s.StreakSerializer(
                {
                    "current": summary.streak,
                    "longest": summary.longest,
                    "freezes": summary.freezes,
                    "learned_today": summary.learned_today,
                    "next_milestone_days": milestone[0] if milestone else None,
                    "next_milestone_tokens": milestone[1] if milestone else None,
                    "league": summary.level_name,
                    "week_ends_at": leagues.week_end(leagues.week_start()),
                }
            ).data
        )


BOARDS = ("league", "weekly", "global", "friends")


class LeaderboardView(APIView):
    @extend_schema(
        summary="A leaderboard",
        description=(
            "`league`: this week's group (by display name); `weekly`: everyone this week; `global`: all time; "
            "`friends`: you and your mutual follows. The top 50, and your own rank even outside them. Learners "
            "hidden from public boards are left off `weekly` and `global`."
        ),
        parameters=[OpenApiParameter("board", str, OpenApiParameter.PATH, enum=list(BOARDS))],
        responses={200: s.BoardSerializer, **error_responses(401, 404, 429)},
        examples=[BOARD_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request, board):
        if board not in BOARDS:
            raise NotFoundError(f"No such leaderboard: use one of {', '.join(BOARDS)}.")
        if board == "league":
            member, group = selectors.league_standing(request.user)
            rows = [
                {"rank": rank, "user_id": m.user_id, "name": m.user.name, "tokens": m.tokens}
                for rank, m in enumerate(group, start=1)
            ]
            me = next((r for r in rows if r["user_id"] == request.user.pk), None)
            data = {"board": board, "rows": rows, "me": me, "total": len(rows)}
        else:
            result = {"weekly": boards.weekly_board, "global": boards.global_board, "friends": boards.friends_board}[
                board
            ](request.user.pk)
            names = selectors.display_names([r.user_id for r in result.rows] + [request.user.pk])
            rows = [
                {"rank": r.rank, "user_id": r.user_id, "name": names.get(r.user_id, ""), "tokens": r.tokens}
                for r in result.rows
            ]
            me = None
            if result.me is not None:
                me = {
                    "rank": result.me.rank,
                    "user_id": request.user.pk,
                    "name": names.get(request.user.pk, ""),
                    "tokens": result.me.tokens,
                }
            data = {"board": board, "rows": rows, "me": me, "total": result.total}
        return Response(s.BoardSerializer(data).data)


class ShopView(APIView):
    @extend_schema(
        summary="The shop",
        description="Items on sale now, their price in tokens, stock, per-learner limit and how often you redeemed each.",
        responses={200: s.ShopItemSerializer(many=True), **error_responses(401, 429)},
        examples=[
            OpenApiExample(
                "Items",
                value=[
                    {
                        "id": 1,
                        "code": "streak-freeze",
                        "name": "Streak freeze",
                        "description": "Keeps your streak for one missed day.",
                        "kind": "streak_freeze",
                        "price": 50,
                        "stock": None,
                        "per_learner_limit": None,
                        "available_until": None,
                        "days": 7,
                        "redeemed_by_you": 0,
                    }
                ],
                response_only=True,
            )
        ],
        tags=TAGS,
    )
    def get(self, request):
        return Response(s.ShopItemSerializer(selectors.shop_items(request.user), many=True).data)


class RedeemView(APIView):
    @extend_schema(
        summary="Redeem a shop item",
        description=(
            "Spends the item's price and grants the perk in one transaction, or does nothing. Send an "
            "Idempotency-Key: a retry with it returns the first redemption. 201 when granted; 200 when the perk "
            "could not be granted and the tokens were given back (`status: refunded`). A course coupon needs "
            "`course`: the paid course it is for; its `detail` gives the single-use code to enter at checkout."
        ),
        request=s.RedeemRequestSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            201: s.RedemptionSerializer,
            200: OpenApiResponse(s.RedemptionSerializer, description="Not granted; the tokens were given back."),
            **error_responses(400, 401, 404, 409, 422, 429),
        },
        examples=[
            REDEMPTION_EXAMPLE,
            OpenApiExample("A course coupon", value={"course": 12}, request_only=True),
            OpenApiExample(
                "Not enough tokens",
                value={
                    "error": {
                        "code": "insufficient_tokens",
                        "message": "“7 days of Pro” costs 250 tokens; you have 40.",
                        "fields": {},
                    }
                },
                response_only=True,
                status_codes=["409"],
            ),
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request, pk):
        body = s.RedeemRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        outcome = shop.redeem(
            request.user,
            pk,
            key=request.headers.get("Idempotency-Key", ""),
            course_id=body.validated_data.get("course"),
        )
        redemption = outcome.redemption
        redemption.message = outcome.message
        status = 201 if redemption.status == "granted" else 200
        return Response(s.RedemptionSerializer(redemption).data, status=status)


FOLLOWS_EXAMPLE = OpenApiExample(
    "Follows",
    value={"friends": [{"id": 7, "name": "Leo"}], "following": [{"id": 9, "name": "Mia"}], "followers": []},
    response_only=True,
)


class FollowsView(APIView):
    def _answer(self, request, status=200):
        return Response(s.FollowsSerializer(selectors.friends_page(request.user)).data, status=status)

    def _learner(self, request):
        raw = request.data.get("learner") if request.data else request.query_params.get("learner")
        serializer = s.FollowRequestSerializer(data={"learner": raw})
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["learner"]

    @extend_schema(
        summary="Who you follow and who follows you",
        description="Mutual follows are friends (the friends leaderboard).",
        responses={200: s.FollowsSerializer, **error_responses(401, 429)},
        examples=[FOLLOWS_EXAMPLE],
        tags=TAGS,
    )
    def get(self, request):
        return self._answer(request)

    @extend_schema(
        summary="Follow a learner",
        request=s.FollowRequestSerializer,
        responses={201: s.FollowsSerializer, 200: s.FollowsSerializer, **error_responses(400, 401, 404, 429)},
        examples=[OpenApiExample("Follow", value={"learner": 7}, request_only=True), FOLLOWS_EXAMPLE],
        tags=TAGS,
    )
    def post(self, request):
        _, created = follows.follow(request.user, self._learner(request))
        return self._answer(request, 201 if created else 200)

    @extend_schema(
        summary="Unfollow a learner",
        description="The learner's id as `learner` in the body or the query string.",
        request=s.FollowRequestSerializer,
        parameters=[OpenApiParameter("learner", int, description="The learner's id.")],
        responses={200: s.FollowsSerializer, **error_responses(400, 401, 404, 429)},
        examples=[OpenApiExample("Unfollow", value={"learner": 7}, request_only=True), FOLLOWS_EXAMPLE],
        tags=TAGS,
    )
    def delete(self, request):
        follows.unfollow(request.user, self._learner(request))
        return self._answer(request)


class AdjustmentView(APIView):
    permission_classes = [permissions.IsAuthenticated, ActPermission]

    @extend_schema(
        summary="Post a correcting entry (staff)",
        description=(
            "Staff in the Rewards group fix a learner's balance with a correcting entry and a reason; no entry is "
            "ever edited. Requires an Idempotency-Key. A correction cannot take a balance below zero (409)."
        ),
        request=s.AdjustmentRequestSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: s.EntrySerializer, **error_responses(400, 401, 403, 404, 409, 422, 429)},
        examples=[
            OpenApiExample(
                "Correction",
                value={"learner": 42, "amount": 20, "reason": "Award missed during the outage on 3 Dec."},
                request_only=True,
            ),
        ],
        tags=TAGS,
    )
    @idempotent
    def post(self, request):
        serializer = s.AdjustmentRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        learner = User.objects.filter(pk=data["learner"]).first()
        if learner is None:
            raise NotFoundError("There is no such learner.")
        if data["amount"] == 0:
            raise DomainError(
                "A correction moves the balance: give an amount other than zero.",
                code="validation_error",
                fields={"amount": ["Not zero."]},
            )
        entry = earning.correct(
            learner,
            amount=data["amount"],
            reason=data["reason"],
            by=request.user,
            key=f"adjustment:{request.user.pk}:{request.headers.get('Idempotency-Key', '')}"[:200],
        )
        return Response(s.EntrySerializer(entry).data, status=201)
