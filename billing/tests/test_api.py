import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing import gateway
from billing.models import Payment, Refund
from billing.tests.support import paid_payment

from .factories import FailedPaymentFactory, PaymentFactory, SucceededPaymentFactory

pytestmark = pytest.mark.django_db

PAYMENTS = "/api/v1/payments/"


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff_api(staff_user):
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


def _start(api, key="key-1", body=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(PAYMENTS, body or {"purpose": "test", "reference": "42"}, format="json", **headers)


# Starting a payment ------------------------------------------------------------------------


def test_start_payment_returns_the_checkout_url(api, emulator, test_purpose, user):
    response = _start(api)
    assert response.status_code == 201, response.json()
    data = response.json()
    payment = Payment.objects.get()
    assert data["payment"]["id"] == str(payment.pk)
    assert data["payment"]["status"] == "pending"
    assert data["payment"]["amount"] == 1999
    assert data["checkout_url"] == payment.checkout_url
    assert data["checkout_url"].startswith(emulator.url + "/checkout/")
    assert (payment.user, payment.purpose, payment.reference) == (user, "test", "42")


def test_start_payment_requires_an_idempotency_key(api, emulator, test_purpose):
    response = _start(api, key=None)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in response.json()["error"]["message"]
    assert Payment.objects.count() == 0


def test_an_idempotency_key_replay_returns_the_first_response(api, emulator, test_purpose):
    first = _start(api, key="abc")
    again = _start(api, key="abc")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.json()["payment"]["id"] == first.json()["payment"]["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Payment.objects.count() == 1
    sessions = emulator.stripe_client().checkout.sessions.list()
    assert len(sessions.data) == 1


def test_the_same_key_with_another_body_is_rejected(api, emulator, test_purpose):
    assert _start(api, key="abc").status_code == 201
    response = _start(api, key="abc", body={"purpose": "test", "reference": "43"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1


def test_keys_belong_to_one_user(api, other_user, emulator, test_purpose):
    assert _start(api, key="shared").status_code == 201
    other = APIClient()
    other.force_authenticate(other_user)
    response = _start(other, key="shared")
    assert response.status_code == 201
    assert Payment.objects.count() == 2


def test_an_unknown_purpose_is_404_with_the_error_envelope(api, emulator, test_purpose):
    response = _start(api, body={"purpose": "nope", "reference": "1"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_purpose"
    assert error["fields"] == {"purpose": ["Unknown purpose."]}


def test_a_missing_field_is_400_with_fields(api, emulator, test_purpose):
    response = _start(api, body={"purpose": "test"})
    assert response.status_code == 400
    assert "reference" in response.json()["error"]["fields"]


@pytest.mark.parametrize("fault", [{"mode": "error", "status": 500}, {"mode": "hang", "seconds": 2}])
def test_stripe_down_when_starting_is_a_503_and_leaves_nothing(api, emulator, test_purpose, settings, fault):
    settings.STRIPE_TIMEOUT_SECONDS = 0.5
    gateway.configure()
    try:
        mode = fault.pop("mode")
        emulator.control.fault(mode, 1, path="/v1/checkout/sessions", **fault)
        response = _start(api, key="retry-me")
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "payment_provider_unavailable"
        assert "Nothing was charged" in error["message"]
        assert Payment.objects.count() == 0
        # Nothing was remembered for the key, so the client's retry goes through.
        retried = _start(api, key="retry-me")
        assert retried.status_code == 201
        assert Payment.objects.count() == 1
    finally:
        settings.STRIPE_TIMEOUT_SECONDS = 10
        gateway.configure()


def test_anonymous_callers_are_401(emulator, test_purpose):
    response = APIClient().post(PAYMENTS, {"purpose": "test", "reference": "1"}, format="json")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


# Reading -----------------------------------------------------------------------------------


def test_list_shows_own_payments_filterable_by_status_and_date(api, user, other_user):
    mine_ok = SucceededPaymentFactory(user=user)
    mine_failed = FailedPaymentFactory(user=user)
    SucceededPaymentFactory(user=other_user)
    response = api.get(PAYMENTS)
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {str(mine_ok.pk), str(mine_failed.pk)}
    failed = api.get(PAYMENTS, {"status": "failed"}).json()["results"]
    assert [row["id"] for row in failed] == [str(mine_failed.pk)]
    assert failed[0]["failure_message"].startswith("Your card was declined")
    Payment.objects.filter(pk=mine_ok.pk).update(created_at=timezone.now() - timezone.timedelta(days=10))
    since = (timezone.now() - timezone.timedelta(days=1)).isoformat()
    recent = api.get(PAYMENTS, {"created_after": since}).json()["results"]
    assert [row["id"] for row in recent] == [str(mine_failed.pk)]


def test_staff_list_only_their_own_too(staff_api, user):
    SucceededPaymentFactory(user=user)
    assert staff_api.get(PAYMENTS).json()["results"] == []


def test_detail_and_receipt_are_own_only_and_staff_see_all(api, staff_api, user, other_user):
    mine = SucceededPaymentFactory(user=user)
    theirs = SucceededPaymentFactory(user=other_user)
    assert api.get(f"{PAYMENTS}{mine.pk}/").json()["id"] == str(mine.pk)
    for path in (f"{PAYMENTS}{theirs.pk}/", f"{PAYMENTS}{theirs.pk}/receipt/"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"]
    assert staff_api.get(f"{PAYMENTS}{theirs.pk}/").status_code == 200
    assert staff_api.get(f"{PAYMENTS}{theirs.pk}/receipt/").status_code == 200


def test_receipt_lists_lines_refunds_and_net(api, user):
    payment = SucceededPaymentFactory(user=user, amount=2000, amount_refunded=500, status="partially_refunded")
    Refund.objects.create(payment=payment, amount=500, reason="Late", status=Refund.Status.SUCCEEDED)
    Refund.objects.create(payment=payment, amount=300, reason="Failed one", status=Refund.Status.FAILED)
    data = api.get(f"{PAYMENTS}{payment.pk}/receipt/").json()
    assert data["receipt_number"] == payment.receipt_number
    assert data["billed_to"] == user.email
    assert (data["amount"], data["amount_refunded"], data["net_amount"]) == (2000, 500, 1500)
    assert [r["amount"] for r in data["refunds"]] == [500]
    assert data["lines"][0]["name"] == payment.description
    detail = api.get(f"{PAYMENTS}{payment.pk}/").json()
    assert detail["receipt_url"] == reverse("api:payment-receipt", args=[payment.pk])


def test_no_receipt_for_an_unpaid_payment(api, user):
    payment = PaymentFactory(user=user)
    response = api.get(f"{PAYMENTS}{payment.pk}/receipt/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_receipt"


def test_list_has_a_fixed_number_of_queries(api, user, django_assert_max_num_queries):
    for _ in range(3):
        RefundPayment = SucceededPaymentFactory(user=user)
        Refund.objects.create(payment=RefundPayment, amount=100, reason="x", status="succeeded")
    with django_assert_max_num_queries(6) as few:
        api.get(PAYMENTS)
    for _ in range(10):
        SucceededPaymentFactory(user=user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(PAYMENTS).json()["results"]) == 13


# Refunds -----------------------------------------------------------------------------------


def test_only_staff_may_refund(api, user, emulator, test_purpose):
    payment = SucceededPaymentFactory(user=user)
    response = api.post(f"{PAYMENTS}{payment.pk}/refund/", {"reason": "mine"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert response.status_code == 403
    assert response.json()["error"]["code"]
    assert not Refund.objects.exists()


def test_staff_refund_partial_then_over_refund_is_rejected(staff_api, user, emulator, test_purpose):
    payment = paid_payment(user, amount=2000)
    url = f"{PAYMENTS}{payment.pk}/refund/"
    response = staff_api.post(url, {"amount": 700, "reason": "Late start"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == 700
    assert response.json()["source"] == "api"
    replay = staff_api.post(url, {"amount": 700, "reason": "Late start"}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert replay.json() == response.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Refund.objects.count() == 1
    assert test_purpose.calls[-1] == ("revoke", payment.pk, 700)

    too_much = staff_api.post(url, {"amount": 1301, "reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r2")
    assert too_much.status_code == 409
    error = too_much.json()["error"]
    assert error["code"] == "amount_too_large"
    assert "At most 1300" in error["message"]
    no_reason = staff_api.post(url, {"amount": 1}, format="json", HTTP_IDEMPOTENCY_KEY="r3")
    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["error"]["fields"]
    rest = staff_api.post(url, {"reason": "The rest"}, format="json", HTTP_IDEMPOTENCY_KEY="r4")
    assert rest.status_code == 201
    assert rest.json()["amount"] == 1300
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED


def test_refund_requires_an_idempotency_key(staff_api, user, emulator, test_purpose):
    payment = SucceededPaymentFactory(user=user)
    response = staff_api.post(f"{PAYMENTS}{payment.pk}/refund/", {"reason": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"


def test_the_schema_documents_the_payment_endpoints(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/payments/",
        "/api/v1/payments/{id}/",
        "/api/v1/payments/{id}/refund/",
        "/api/v1/payments/{id}/receipt/",
    ):
        assert path in schema
    assert "Idempotency-Key" in schema


def test_a_request_still_in_progress_with_the_key_is_409(api, user, emulator, test_purpose):
    from billing.models import IdempotencyKey

    body = {"purpose": "test", "reference": "42"}
    IdempotencyKey.objects.create(
        user=user, key="busy", endpoint=f"POST {PAYMENTS}", request_hash=_fingerprint_of(body)
    )
    response = _start(api, key="busy", body=body)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "request_in_progress"
    assert Payment.objects.count() == 0


def test_a_key_left_in_progress_by_a_crashed_request_expires_and_the_retry_runs(api, user, emulator, test_purpose):
    """Issue 13 #9: the worker died mid-request; after the bounded time the client's retry is served."""
    from datetime import timedelta

    from django.utils import timezone

    from billing.models import IdempotencyKey

    body = {"purpose": "test", "reference": "42"}
    stuck = IdempotencyKey.objects.create(
        user=user, key="crashed", endpoint=f"POST {PAYMENTS}", request_hash=_fingerprint_of(body)
    )
    IdempotencyKey.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    response = _start(api, key="crashed", body=body)
    assert response.status_code == 201, response.json()
    assert Payment.objects.count() == 1
    replay = _start(api, key="crashed", body=body)
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == response.json()


def _fingerprint_of(body):
    import hashlib
    import json

    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
