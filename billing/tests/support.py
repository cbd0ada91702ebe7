"""Test support for billing and every app that sells through it.

Import the fixtures into a conftest (``from billing.tests.support import *  # noqa: F403``):

- ``stripe_emulator_server`` (session): the Stripe emulator in-process on a free port, with
  ``settings.STRIPE_API_BASE`` pointed at it, ``STRIPE_MAX_NETWORK_RETRIES=0`` so injected faults
  are deterministic, and ``billing.gateway.configure()`` re-run (and restored afterwards).
- ``emulator``: the same emulator, state reset before each test (faults cleared after).
- ``stripe_webhooks``: a transactional test whose live server is registered as the webhook
  endpoint (``manage.py setup_stripe_webhook``), with ``settings.SITE_URL`` = the live server.
  Deliveries are held by the emulator until ``stripe_webhooks.deliver()``: on SQLite the live
  server shares the test's in-memory database connection, so the test thread must be idle
  (blocked in ``deliver()``) while the live server processes events.
- ``test_purpose``: a "test" purpose whose fulfil/revoke/failed calls are recorded.
- ``pay(url, card)``: submit the hosted Checkout page over HTTP, as a browser would.
"""

import copy
import io
import threading
from dataclasses import dataclass, field

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from billing import gateway, registry
from billing.models import Payment
from billing.services import CheckoutItem, apply_checkout_session, start_checkout
from stripe_emulator.testing import start_emulator

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"


# Emulator ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def stripe_emulator_server(django_test_environment):
    running = start_emulator()
    csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    csp["DIRECTIVES"]["form-action"] = ["'self'", running.url]  # forms redirect to its hosted pages
    with override_settings(STRIPE_API_BASE=running.url, STRIPE_MAX_NETWORK_RETRIES=0, CONTENT_SECURITY_POLICY=csp):
        gateway.configure()
        yield running
    gateway.configure()
    running.stop()


@pytest.fixture
def emulator(stripe_emulator_server):
    """The running emulator with fresh state (our ids restart per test, so idempotency keys would collide)."""
    # Other suites (the emulator's own dj-stripe test) may have pointed the SDK elsewhere.
    gateway.configure()
    control = stripe_emulator_server.control
    control.reset()
    control.configure(webhook_retry_base=0.05, webhook_max_attempts=3)
    yield stripe_emulator_server
    control.clear_faults()


class StripeWebhooks:
    """The emulator delivering signed events to the Django live server."""

    def __init__(self, running, base_url: str):
        self.running = running
        self.control = running.control
        self.base_url = base_url

    def deliver(self, timeout: float = 30.0) -> list[dict]:
        """Release held deliveries (in random order) and wait until every one has been answered."""
        result = self.control.flush(timeout=timeout)
        assert result["idle"], f"webhook deliveries still in flight after {timeout}s"
        return self.deliveries()

    def deliveries(self, **filters) -> list[dict]:
        return self.control.deliveries(**filters)

    def hold(self) -> None:
        """Buffer every delivery until deliver() (the emulator's shuffle mode)."""
        self.control.fault("shuffle")

    def duplicate(self, count: int | None = None) -> None:
        self.control.fault("duplicate", count)

    def drop(self, count: int | None = None) -> None:
        self.control.fault("drop", count)


@pytest.fixture
def stripe_webhooks(emulator, live_server, settings, transactional_db):
    settings.SITE_URL = live_server.url
    call_command("setup_stripe_webhook", base_url=live_server.url, stdout=io.StringIO())
    hooks = StripeWebhooks(emulator, live_server.url)
    hooks.hold()
    yield hooks
    emulator.control.clear_faults()
    emulator.control.flush(timeout=10)  # nothing may reach the live server after the test's flush


# A purpose to sell -------------------------------------------------------------------------


@dataclass
class PurposeRecorder:
    """What billing asked the purpose to do. `fulfilled` and `revoked` hold only committed calls
    (recorded on commit), `calls` every call, including ones whose transaction rolled back."""

    fulfilled: list = field(default_factory=list)
    revoked: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    calls: list = field(default_factory=list)
    crash_next_fulfil: bool = False
    amount: int = 1999
    currency: str = "usd"
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, target: list, value) -> None:
        with self.lock:
            self.calls.append(value)

        def commit():
            with self.lock:
                target.append(value)

        transaction.on_commit(commit)

    def fulfil(self, payment: Payment) -> None:
        self._record(self.fulfilled, ("fulfil", payment.pk))
        if self.crash_next_fulfil:
            self.crash_next_fulfil = False
            raise RuntimeError("worker lost mid-fulfilment")

    def revoke(self, payment: Payment, refund) -> None:
        self._record(self.revoked, ("revoke", payment.pk, refund.amount))

    def on_failed(self, payment: Payment) -> None:
        self._record(self.failed, ("failed", payment.pk))

    def checkout(self, user, reference: str):
        item = CheckoutItem(name=f"Test item {reference}", amount=self.amount, currency=self.currency)
        return [item], f"Test item {reference}", Payment.Mode.PAYMENT

    def fulfilments(self, payment) -> int:
        return sum(1 for entry in self.fulfilled if entry[1] == payment.pk)


@pytest.fixture
def test_purpose():
    recorder = PurposeRecorder()
    registry.register_purpose(
        "test",
        label="Test purchase",
        fulfil=recorder.fulfil,
        revoke=recorder.revoke,
        failed=recorder.on_failed,
        checkout=recorder.checkout,
    )
    yield recorder
    registry.unregister_purpose("test")


# Paying ------------------------------------------------------------------------------------


@dataclass
class CheckoutResult:
    ok: bool
    redirect: str
    page: str


def pay(checkout_url: str, card: str = CARD_OK, *, email: str = "buyer@example.com") -> CheckoutResult:
    """Submit the hosted Checkout form. Success is a 303 to success_url; a decline re-renders the page."""
    response = requests.post(
        checkout_url,
        data={"email": email, "card_number": card, "expiry": "12 / 34", "cvc": "123", "name": "Test Buyer"},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code == 303:
        return CheckoutResult(ok=True, redirect=response.headers["Location"], page="")
    assert response.status_code == 200, response.text
    return CheckoutResult(ok=False, redirect="", page=response.text)


def start_test_checkout(user, amount: int = 1999, currency: str = "usd", reference: str = "1"):
    return start_checkout(
        user,
        "test",
        [CheckoutItem(name=f"Test item {reference}", amount=amount, currency=currency)],
        description=f"Test item {reference}",
        reference=reference,
    )


def paid_payment(user, amount: int = 1999, currency: str = "usd", reference: str = "1") -> Payment:
    """A payment paid in the emulator and applied without webhooks (the return-from-Checkout path)."""
    start = start_test_checkout(user, amount, currency, reference)
    result = pay(start.url)
    assert result.ok, result.page
    return apply_checkout_session(start.payment.stripe_checkout_session_id)


__all__ = [
    "CARD_DECLINED",
    "CARD_INSUFFICIENT_FUNDS",
    "CARD_OK",
    "CheckoutResult",
    "PurposeRecorder",
    "StripeWebhooks",
    "emulator",
    "paid_payment",
    "pay",
    "start_test_checkout",
    "stripe_emulator_server",
    "stripe_webhooks",
    "test_purpose",
]
