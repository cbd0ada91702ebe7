"""Issue 11, defects 6, 8 and 9: input from an attacker gets a clear 4xx and leaves nothing behind."""

import json
from datetime import timedelta, timezone

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import StripeEvent
from billing.webhooks import MAX_WEBHOOK_BODY_BYTES

from .factories import PaymentFactory

pytestmark = pytest.mark.django_db
PAYMENTS = "/api/v1/payments/"


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# created_before / created_after with any offset (defect 6) ----------------------------------


@pytest.mark.parametrize("param", ["created_before", "created_after"])
@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+16:00",  # Python accepts it; PostgreSQL refuses offsets beyond 15:59
        "2026-01-01T00:00:00-23:59",
        "9999-12-31T23:00:00-10:00",  # later than the last UTC instant Python knows
        "0001-01-01T00:30:00+01:00",  # earlier than the first
        "2026-01-01T00:00:00+24:00",
        "2026-13-01T00:00:00Z",
    ],
)
def test_a_date_time_filter_out_of_range_is_a_400_naming_the_parameter(api, user, param, value):
    PaymentFactory(user=user)
    response = api.get(PAYMENTS, {param: value})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "ISO 8601" in error["fields"][param][0]


def test_the_widest_offset_the_database_holds_is_compared_in_utc(api, user):
    payment = PaymentFactory(user=user)
    widest = timezone(timedelta(hours=15, minutes=59))
    just_after = (payment.created_at.replace(microsecond=0) + timedelta(seconds=1)).astimezone(widest)
    response = api.get(PAYMENTS, {"created_before": just_after.isoformat()})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [str(payment.pk)]
    assert api.get(PAYMENTS, {"created_after": just_after.isoformat()}).json()["results"] == []


# Webhook intake (defects 6 and 8) ------------------------------------------------------------


@pytest.fixture
def endpoint(emulator, db):
    import io

    from django.core.management import call_command
    from djstripe.models import WebhookEndpoint

    call_command("setup_stripe_webhook", base_url="http://testserver", stdout=io.StringIO())
    return WebhookEndpoint.objects.get()


def _post(client, endpoint, body: str, secret: str | None = None):
    from stripe_emulator.webhooks import sign

    headers = {"HTTP_STRIPE_SIGNATURE": sign(body, secret)} if secret else {}
    url = reverse("stripe_webhook", args=[endpoint.djstripe_uuid])
    return client.post(url, body, content_type="application/json", **headers)


def _stored():
    from djstripe.models import WebhookEventTrigger

    return WebhookEventTrigger.objects.count(), StripeEvent.objects.count()


@pytest.mark.parametrize("body", ["[]", '[{"id": "evt_1"}]', '"evt_1"', "42", "null", "{not json", '{"id": 5}'])
def test_a_signed_body_that_is_not_an_event_object_is_a_400_and_stores_nothing(client, endpoint, body):
    response = _post(client, endpoint, body, endpoint.secret)
    assert response.status_code == 400
    assert response.json() == {"status": "not a Stripe event"}
    assert _stored() == (0, 0)


def test_unsigned_posts_are_refused_before_anything_is_stored(client, endpoint):
    event = json.dumps({"id": "evt_forged", "object": "event", "type": "charge.refunded", "data": {"object": {}}})
    padding = " " * (MAX_WEBHOOK_BODY_BYTES - len(event) - 10)
    for _ in range(3):
        assert _post(client, endpoint, event + padding).status_code == 400  # no signature at all
        assert _post(client, endpoint, event + padding, "whsec_wrong").status_code == 400
    assert _stored() == (0, 0)


def test_a_body_over_the_cap_is_a_413_even_when_signed(client, endpoint):
    event = {"id": "evt_big", "object": "event", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}
    body = json.dumps({**event, "padding": "x" * (2 * 1024 * 1024)})
    response = _post(client, endpoint, body, endpoint.secret)
    assert response.status_code == 413
    assert _stored() == (0, 0)


# A draft course looks missing (defect 9) -----------------------------------------------------


def test_buying_a_draft_course_through_the_payments_api_is_the_same_404_as_a_missing_one(api, emulator):
    from marketplace.tests.factories import CourseFactory

    draft = CourseFactory(price_amount=2500)
    answers = []
    for reference in (f"course:{draft.pk}", f"course:{draft.pk + 1000}"):
        response = api.post(
            PAYMENTS, {"purpose": "course", "reference": reference}, format="json", HTTP_IDEMPOTENCY_KEY=reference
        )
        answers.append((response.status_code, response.json()["error"]["code"], response.json()["error"]["message"]))
    assert answers[0] == answers[1] == (404, "not_found", "No such course.")
