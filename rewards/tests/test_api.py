"""The rewards API: who may call what, bad input answered 4xx with the error envelope, redemptions of each
kind, staff adjustments, pinned query counts, and the schema documenting every operation with an example."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import VerifiedUserFactory, staff_in
from rewards.models import Redemption, ShopItem, Streak, TokenBalance, TokenEntry
from rewards.services import earning, follows, ledger
from subscriptions.interface import Entitlement, has_feature

from .factories import enrolled_course

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    ("get", "/api/v1/rewards/wallet/"),
    ("get", "/api/v1/rewards/entries/"),
    ("get", "/api/v1/rewards/streak/"),
    ("get", "/api/v1/rewards/leaderboards/global/"),
    ("get", "/api/v1/rewards/shop/"),
    ("post", "/api/v1/rewards/shop/1/redeem/"),
    ("get", "/api/v1/rewards/follows/"),
    ("post", "/api/v1/rewards/follows/"),
    ("delete", "/api/v1/rewards/follows/"),
    ("post", "/api/v1/rewards/adjustments/"),
]


def api_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def give(user, tokens):
    from django.db import transaction

    with transaction.atomic():
        balance = ledger.lock_balance(user)
        ledger.post(
            balance,
            user,
            kind="correction",
            amount=tokens,
            key=f"give:{user.pk}:{tokens}",
            cause="correction",
            note="test",
        )


def redeem(client, item, key="k-1"):
    return client.post(f"/api/v1/rewards/shop/{item.pk}/redeem/", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_every_endpoint_refuses_anonymous_callers(method, url):
    response = getattr(api_for(), method)(url)
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_wallet_and_streak(db):
    learner = VerifiedUserFactory()
    course = enrolled_course(learner, lessons=1)
    earning.award_lesson(learner, course, course.lessons.first().pk)
    api = api_for(learner)
    assert api.get("/api/v1/rewards/wallet/").json() == {
        "balance": 2,
        "owed": 0,
        "lifetime": 2,
        "streak": 0,
        "freezes": 0,
        "league": "Bronze",
    }
    streak = api.get("/api/v1/rewards/streak/").json()
    assert streak["next_milestone_days"] == 7 and streak["league"] == "Bronze"


def test_entries_filter_and_bad_input():
    learner = VerifiedUserFactory()
    give(learner, 5)
    api = api_for(learner)
    body = api.get("/api/v1/rewards/entries/", {"kind": "correction"}).json()
    assert body["count"] == 1 and body["results"][0]["amount"] == 5
    bad = api.get("/api/v1/rewards/entries/", {"kind": "cash"})
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["fields"]
    assert api.get("/api/v1/rewards/entries/", {"page": "0"}).status_code == 400


def test_unknown_board_is_404():
    response = api_for(VerifiedUserFactory()).get("/api/v1/rewards/leaderboards/richest/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_redeem_needs_a_key_an_item_and_tokens():
    learner = VerifiedUserFactory()
    api = api_for(learner)
    freeze = ShopItem.objects.get(code="streak-freeze")
    assert api.post(f"/api/v1/rewards/shop/{freeze.pk}/redeem/").json()["error"]["code"] == "idempotency_key_required"
    assert redeem(api, ShopItem(pk=999_999)).status_code == 404
    poor = redeem(api, freeze, "k-2")
    assert poor.status_code == 409 and poor.json()["error"]["code"] == "insufficient_tokens"
    assert not TokenEntry.objects.filter(user=learner, kind="spent").exists()


def test_redeeming_a_streak_freeze_and_the_cap_of_two():
    learner = VerifiedUserFactory()
    give(learner, 200)
    api = api_for(learner)
    freeze = ShopItem.objects.get(code="streak-freeze")
    first = redeem(api, freeze, "a")
    assert first.status_code == 201 and first.json()["status"] == "granted"
    assert redeem(api, freeze, "a").json()["id"] == first.json()["id"]  # replayed, not redeemed twice
    assert redeem(api, freeze, "b").status_code == 201
    third = redeem(api, freeze, "c")
    assert third.status_code == 409 and third.json()["error"]["code"] == "freeze_limit"
    assert Streak.objects.get(user=learner).freezes == 2
    assert TokenBalance.objects.get(user=learner).balance == 100  # the refused third spent nothing
    assert ledger.verify()[1] == []


def test_redeeming_pro_days_grants_pro_and_stacks():
    learner = VerifiedUserFactory()
    give(learner, 500)
    api = api_for(learner)
    pro = ShopItem.objects.get(code="pro-7-days")
    assert not has_feature(learner, "pro_library")
    assert redeem(api, pro, "p1").status_code == 201
    assert redeem(api, pro, "p2").status_code == 201
    grants = list(Entitlement.objects.filter(user=learner, source="token_redemption").order_by("valid_from"))
    assert len(grants) == 2
    assert grants[1].valid_from == grants[0].valid_until
    assert (grants[1].valid_until - grants[0].valid_from).days == 14
    assert has_feature(learner, "pro_library") and has_feature(learner, "token_boost")


def test_a_badge_once_per_learner_and_stock():
    learner = VerifiedUserFactory()
    give(learner, 500)
    api = api_for(learner)
    badge = ShopItem.objects.get(code="badge-scholar")
    assert redeem(api, badge, "b1").status_code == 201
    again = redeem(api, badge, "b2")
    assert again.status_code == 409 and again.json()["error"]["code"] == "limit_reached"
    limited = ShopItem.objects.create(
        code="rare", name="Rare badge", kind="badge", price=10, stock=1, badge_label="Rare"
    )
    assert redeem(api, limited, "r1").status_code == 201
    other = VerifiedUserFactory()
    give(other, 50)
    sold_out = redeem(api_for(other), limited, "r2")
    assert sold_out.status_code == 409 and sold_out.json()["error"]["code"] == "sold_out"
    assert {"streak-freeze", "rare"} <= {item["code"] for item in api.get("/api/v1/rewards/shop/").json()}


def test_a_perk_that_cannot_be_granted_gives_the_tokens_back():
    from rewards.services import shop

    learner = VerifiedUserFactory()
    give(learner, 100)
    badge = ShopItem.objects.get(code="badge-scholar")
    outcome = shop.redeem(learner, badge.pk, key="x")
    refunded = shop.refund_redemption(outcome.redemption, reason="The badge service is down.")
    shop.refund_redemption(outcome.redemption, reason="again")  # once only
    assert refunded.status == Redemption.Status.REFUNDED
    assert TokenBalance.objects.get(user=learner).balance == 100
    assert TokenEntry.objects.filter(user=learner, kind="reversed").count() == 1
    assert ledger.verify()[1] == []


def test_follows_and_their_bad_input():
    me, other = VerifiedUserFactory(), VerifiedUserFactory(display_name="Olga")
    api = api_for(me)
    assert api.post("/api/v1/rewards/follows/", {"learner": other.pk}, format="json").status_code == 201
    assert api.post("/api/v1/rewards/follows/", {"learner": other.pk}, format="json").status_code == 200
    follows.follow(other, me.pk)
    assert api.get("/api/v1/rewards/follows/").json()["friends"] == [{"id": other.pk, "name": "Olga"}]
    for body, status in [({}, 400), ({"learner": "x"}, 400), ({"learner": me.pk}, 400), ({"learner": 999_999}, 404)]:
        response = api.post("/api/v1/rewards/follows/", body, format="json")
        assert response.status_code == status, body
        assert "error" in response.json()
    assert api.delete(f"/api/v1/rewards/follows/?learner={other.pk}").json()["friends"] == []


def test_adjustments_are_for_the_rewards_group_only():
    learner = VerifiedUserFactory()
    body = {"learner": learner.pk, "amount": 20, "reason": "Award missed during the outage."}
    for caller in (learner, staff_in("Support"), staff_in("Finance")):
        assert (
            api_for(caller)
            .post("/api/v1/rewards/adjustments/", body, format="json", HTTP_IDEMPOTENCY_KEY="a")
            .status_code
            == 403
        )
    api = api_for(staff_in("Rewards"))
    created = api.post("/api/v1/rewards/adjustments/", body, format="json", HTTP_IDEMPOTENCY_KEY="a1")
    assert created.status_code == 201 and created.json()["kind"] == "correction"
    assert (
        api.post("/api/v1/rewards/adjustments/", body, format="json", HTTP_IDEMPOTENCY_KEY="a1").json()
        == created.json()
    )
    assert TokenBalance.objects.get(user=learner).balance == 20
    for bad, status in [
        ({**body, "amount": 0}, 400),
        ({**body, "reason": ""}, 400),
        ({**body, "amount": "lots"}, 400),
        ({**body, "learner": 999_999}, 404),
        ({**body, "amount": -21}, 409),
    ]:
        response = api.post("/api/v1/rewards/adjustments/", bad, format="json", HTTP_IDEMPOTENCY_KEY=f"bad-{bad}")
        assert response.status_code == status, bad
    assert TokenBalance.objects.get(user=learner).balance == 20


@pytest.mark.parametrize("people", [3, 15])
def test_api_query_counts_are_fixed(django_assert_num_queries, people, settings):
    settings.REWARDS_BOARDS_REDIS_URL = ""
    me = VerifiedUserFactory()
    course = enrolled_course(me, lessons=0)
    for _ in range(people):
        other = VerifiedUserFactory()
        earning.award_lesson(other, course, 50_000 + other.pk)
        follows.follow(other, me.pk)
        follows.follow(me, other.pk)
    earning.award_lesson(me, course, 1)
    api = api_for(me)
    expected = {
        "/api/v1/rewards/wallet/": 2,
        "/api/v1/rewards/leaderboards/league/": 2,
        "/api/v1/rewards/leaderboards/global/": 3,
        "/api/v1/rewards/leaderboards/weekly/": 3,
        "/api/v1/rewards/leaderboards/friends/": 4,
        "/api/v1/rewards/entries/": 2,
    }
    for url, count in expected.items():
        with django_assert_num_queries(count):
            assert api.get(url).status_code == 200, url


def test_the_schema_documents_every_rewards_operation_with_an_example_and_errors():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        if path.startswith("/api/v1/rewards/")
        for method, op in ops.items()
    ]
    assert len(operations) == 10
    for path, method, op in operations:
        assert op.get("summary"), (path, method)
        assert any(code.startswith("4") for code in op["responses"]), (path, method)
        bodies = [r.get("content", {}).get("application/json", {}) for r in op["responses"].values()]
        request = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        assert any("examples" in b for b in [*bodies, request]), (path, method)
