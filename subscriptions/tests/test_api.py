import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing.tests.support import pay
from subscriptions.models import Subscription, Tier
from subscriptions.services import entitlements, subscribing

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, user):
    client.force_login(user)
    return client


def test_tiers_are_public_with_a_fixed_query_count(client, django_assert_num_queries):
    with django_assert_num_queries(2):
        response = client.get("/api/v1/subscriptions/tiers/")
    assert response.status_code == 200
    codes = [t["code"] for t in response.json()]
    assert codes == ["free", "pro", "enterprise"]
    pro = response.json()[1]
    assert pro["monthly_price"] == 999 and {f["code"] for f in pro["features"]} >= {"pro_library"}


def test_pricing_page_fixed_queries_and_marks_current(client, user, django_assert_num_queries):
    with django_assert_num_queries(3):
        response = client.get("/pricing/?interval=year")
    assert response.status_code == 200
    body = response.content.decode()
    assert "$99.00" in body and "$990.00" in body and "per year" in body
    entitlements.grant_entitlement(user, "pro", "staff_grant", reason="comp")
    client.force_login(user)
    body = client.get("/pricing/").content.decode()
    assert "Your plan" in body and "$9.99" in body


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/v1/subscriptions/current/"),
        ("post", "/api/v1/subscriptions/"),
        ("post", "/api/v1/subscriptions/current/preview-change/"),
        ("patch", "/api/v1/subscriptions/current/"),
        ("post", "/api/v1/subscriptions/current/cancel/"),
        ("post", "/api/v1/subscriptions/current/resume/"),
        ("get", "/api/v1/me/features/"),
    ],
)
def test_endpoints_need_authentication(client, method, url):
    response = getattr(client, method)(url, content_type="application/json")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def test_current_and_features_for_a_free_user(api):
    assert api.get("/api/v1/subscriptions/current/").json() == {"tier": "free", "subscription": None}
    assert api.get("/api/v1/me/features/").json()["features"] == []


def test_features_from_a_grant(api, user):
    entitlements.grant_entitlement(user, "enterprise", "licence_seat", reference="seat:9")
    data = api.get("/api/v1/me/features/").json()
    assert data["tier"] == "enterprise" and "priority_support" in data["features"]
    assert data["entitlements"][0]["source"] == "licence_seat"


def test_subscribe_needs_idempotency_key_and_valid_input(api):
    response = api.post("/api/v1/subscriptions/", {"tier": "pro", "interval": "month"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_required"
    response = api.post(
        "/api/v1/subscriptions/",
        {"tier": "pro", "interval": "week"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert response.status_code == 400 and "interval" in response.json()["error"]["fields"]
    response = api.post(
        "/api/v1/subscriptions/",
        {"tier": "gold", "interval": "month"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k2",
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_tier"


@pytest.mark.parametrize("url", ["/api/v1/subscriptions/current/cancel/", "/api/v1/subscriptions/current/resume/"])
def test_nothing_to_cancel_or_resume(api, url):
    response = api.post(url)
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_subscription"


def test_change_without_subscription_and_bad_input(api):
    response = api.patch("/api/v1/subscriptions/current/", {"tier": "pro"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "idempotency_key_required"
    response = api.patch(
        "/api/v1/subscriptions/current/", {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p0"
    )
    assert response.status_code == 400
    response = api.post(
        "/api/v1/subscriptions/current/preview-change/", {"tier": "pro"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_subscription"


def test_schema_lists_the_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in [
        "/api/v1/subscriptions/tiers/",
        "/api/v1/subscriptions/",
        "/api/v1/subscriptions/current/",
        "/api/v1/subscriptions/current/preview-change/",
        "/api/v1/subscriptions/current/cancel/",
        "/api/v1/subscriptions/current/resume/",
        "/api/v1/me/features/",
    ]:
        assert path in schema["paths"], path


def test_catalog_sync_is_idempotent(emulator):
    out = io.StringIO()
    call_command("sync_stripe_catalog", stdout=out)
    assert "4 created" in out.getvalue() or "created" in out.getvalue()
    pro = Tier.objects.get(code="pro")
    assert pro.stripe_monthly_price_id and pro.stripe_annual_price_id and pro.stripe_product_id
    client = emulator.stripe_client()
    counts = (len(client.products.list().data), len(client.prices.list().data))
    out = io.StringIO()
    call_command("sync_stripe_catalog", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    assert (len(client.products.list().data), len(client.prices.list().data)) == counts
    assert Tier.objects.get(code="pro").stripe_monthly_price_id == pro.stripe_monthly_price_id
    assert not Tier.objects.get(code="free").stripe_product_id


def test_subscribed_user_gets_clear_errors(emulator, catalog, api, user):
    start = subscribing.start_subscription(user, "pro", "month")
    assert pay(start.url, email=user.email).ok
    from billing.services import apply_checkout_session

    apply_checkout_session(start.payment.stripe_checkout_session_id)
    assert Subscription.objects.get(user=user).status == "active"

    response = api.post(
        "/api/v1/subscriptions/",
        {"tier": "enterprise", "interval": "month"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="again",
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_subscribed"
    response = api.patch(
        "/api/v1/subscriptions/current/",
        {"tier": "pro", "interval": "month"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="p1",
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "same_plan"
    response = api.patch(
        "/api/v1/subscriptions/current/", {"tier": "gold"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p2"
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "unknown_tier"

    preview = api.post(
        "/api/v1/subscriptions/current/preview-change/", {"interval": "year"}, content_type="application/json"
    ).json()
    assert preview["kind"] == "upgrade" and preview["amount_due_now"] > 0
    change = {"interval": "year", "proration_date": preview["proration_date"]}
    response = api.patch(
        "/api/v1/subscriptions/current/", change, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p3"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["amount_charged"] == preview["amount_due_now"]
    assert response.json()["subscription"]["interval"] == "year"
    # A retried request (lost answer) replays the first answer and charges nothing more.
    replay = api.patch(
        "/api/v1/subscriptions/current/", change, content_type="application/json", HTTP_IDEMPOTENCY_KEY="p3"
    )
    assert replay.json() == response.json() and replay["Idempotent-Replayed"] == "true"
    reused = api.patch(
        "/api/v1/subscriptions/current/",
        {"tier": "enterprise"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="p3",
    )
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    invoices = emulator.stripe_client().v1.invoices.list(params={"customer": user.billing_customer.stripe_customer_id})
    assert sum(1 for i in invoices.data if i.billing_reason == "subscription_update") == 1

    assert api.post("/api/v1/subscriptions/current/cancel/").json()["subscription"]["cancel_at_period_end"]
    response = api.post("/api/v1/subscriptions/current/cancel/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_canceling"
    assert not api.post("/api/v1/subscriptions/current/resume/").json()["subscription"]["cancel_at_period_end"]

    page = api.get(reverse("subscriptions:manage"))
    assert page.status_code == 200 and "Payment history" in page.content.decode()


def test_start_via_api_returns_checkout_url(emulator, catalog, api):
    response = api.post(
        "/api/v1/subscriptions/",
        {"tier": "pro", "interval": "year"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="start-1",
    )
    assert response.status_code == 201, response.json()
    assert "/checkout/" in response.json()["checkout_url"]
    again = api.post(
        "/api/v1/subscriptions/",
        {"tier": "pro", "interval": "year"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="start-1",
    )
    assert again.json() == response.json() and again["Idempotent-Replayed"] == "true"
