"""The site's own Prometheus metrics, and the one-line recording functions the apps call.

Imports no app, so any app may call it (through operations.interface). Counters of things that happen
inside a database transaction are incremented after it commits, so a rolled-back payment is never
counted. Amounts are in the currency's minor units (cents), labelled by currency, as everywhere else.

Hooks for apps still being built (call them where the thing happens):
- rewards: `tokens_issued(amount, reason)` and `tokens_spent(amount, reason)`;
- licensing: register a scrape-time gauge with `operations.interface.register_gauges`, e.g.
  `lyceum_licence_seats{state="in_use"}` (see operations/registry.py).

Works in prometheus_client's multiprocess mode (several gunicorn workers, Celery's prefork children):
everything here is a Counter or a Histogram, which aggregate across processes by summing.
"""

import time
from contextlib import contextmanager

from django.db import transaction
from prometheus_client import Counter, Histogram, disable_created_metrics

# The *_created series (a start time per counter) only double the page; rate() does not need them.
disable_created_metrics()

# Payments -----------------------------------------------------------------------------------------

PAYMENTS = Counter(
    "lyceum_payments",
    "Payments by what happened to them (started, succeeded, failed; refunded counts refunds).",
    ["event", "purpose", "currency"],
)
PAYMENT_AMOUNT = Counter(
    "lyceum_payments_amount_minor_units",
    "Money by payment event, in the currency's minor units (refunded: the refunded amount).",
    ["event", "purpose", "currency"],
)
PAYMENT_EVENTS = ("started", "succeeded", "failed", "refunded")

STRIPE_CALLS = Counter("lyceum_stripe_api_calls", "Calls to the Stripe API by operation.", ["operation"])
STRIPE_ERRORS = Counter(
    "lyceum_stripe_api_errors",
    "Stripe API calls that failed, by operation and kind (card_declined, unavailable, refused).",
    ["operation", "kind"],
)
STRIPE_DURATION = Histogram(
    "lyceum_stripe_api_duration_seconds",
    "How long Stripe API calls took, by operation.",
    ["operation"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

WEBHOOKS_RECEIVED = Counter(
    "lyceum_stripe_webhooks_received",
    "Stripe webhook deliveries by outcome (accepted, invalid, too_large, unknown_endpoint, refused).",
    ["outcome"],
)
WEBHOOK_EVENTS_PROCESSED = Counter(
    "lyceum_stripe_webhook_events_processed",
    "Processing attempts of stored Stripe events by type and result (succeeded, ignored, failed).",
    ["type", "status"],
)

RECONCILIATION_RUNS = Counter("lyceum_reconciliation_runs", "Reconciliation runs against Stripe.")
RECONCILIATION_REPAIRS = Counter(
    "lyceum_reconciliation_repairs",
    "Records the reconciliation repaired: each one is a webhook that was lost or not processed.",
)

PAYOUTS = Counter("lyceum_payouts", "Instructor payout attempts by outcome (paid, failed).", ["outcome", "currency"])
PAYOUT_AMOUNT = Counter(
    "lyceum_payouts_amount_minor_units", "Money in payout attempts by outcome, in minor units.", ["outcome", "currency"]
)

# Accounts -----------------------------------------------------------------------------------------

LOGIN_FAILURES = Counter("lyceum_login_failures", "Failed sign-ins (wrong password or locked out).")
LOCKOUTS = Counter("lyceum_login_lockouts", "Accounts locked out after too many failed sign-ins.")

# Rewards (hook: called by the rewards app) ---------------------------------------------------------

TOKENS = Counter("lyceum_reward_tokens", "Reward tokens issued and spent, by reason.", ["direction", "reason"])

# Celery -------------------------------------------------------------------------------------------

CELERY_TASKS = Counter(
    "lyceum_celery_tasks", "Celery task runs by task and state (succeeded, failed, retried).", ["task", "state"]
)
CELERY_TASK_DURATION = Histogram(
    "lyceum_celery_task_duration_seconds",
    "How long Celery tasks ran, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
CELERY_PUBLISHED = Counter("lyceum_celery_tasks_published", "Celery tasks sent to the broker, by task.", ["task"])


def _after_commit(fn) -> None:
    """Run now outside a transaction, else once the transaction commits (never for a rollback)."""
    transaction.on_commit(fn, robust=True)


def _currency(code: str) -> str:
    return (code or "").lower()[:3] or "unknown"


def payment_event(event: str, *, purpose: str, currency: str, amount: int) -> None:
    """A payment started, succeeded, failed, or a refund of it succeeded (amount: the refunded part)."""
    if event not in PAYMENT_EVENTS:
        raise ValueError(f"unknown payment event {event!r}")
    labels = {"event": event, "purpose": purpose or "unknown", "currency": _currency(currency)}

    def count():
        PAYMENTS.labels(**labels).inc()
        PAYMENT_AMOUNT.labels(**labels).inc(max(int(amount), 0))

    _after_commit(count)


def _operation(what: str) -> str:
    return "_".join(what.lower().split())[:60]


@contextmanager
def stripe_call(what: str):
    """Time one Stripe API call and count it, and its failure by kind (the domain error's code)."""
    operation = _operation(what)
    STRIPE_CALLS.labels(operation).inc()
    started = time.perf_counter()
    try:
        yield
    except Exception as exc:
        STRIPE_ERRORS.labels(operation, getattr(exc, "code", None) or type(exc).__name__).inc()
        raise
    finally:
        STRIPE_DURATION.labels(operation).observe(time.perf_counter() - started)


# 400: a bad signature, or a signed body that is not a Stripe event; 413: over the size cap.
WEBHOOK_OUTCOMES = {200: "accepted", 400: "invalid", 404: "unknown_endpoint", 413: "too_large"}


def webhook_received(status_code: int) -> None:
    WEBHOOKS_RECEIVED.labels(WEBHOOK_OUTCOMES.get(status_code, "refused")).inc()


def webhook_processed(event_type: str, status: str) -> None:
    """One processing attempt of a stored event finished: succeeded, ignored or failed (counted at once:
    the failure's record is committed before the task retries)."""
    WEBHOOK_EVENTS_PROCESSED.labels(event_type[:100], status).inc()


def reconciliation_finished(repaired: int) -> None:
    RECONCILIATION_RUNS.inc()
    RECONCILIATION_REPAIRS.inc(repaired)


def payout_attempt(outcome: str, *, currency: str, amount: int) -> None:
    """An instructor payout was paid or failed."""

    def count():
        PAYOUTS.labels(outcome, _currency(currency)).inc()
        PAYOUT_AMOUNT.labels(outcome, _currency(currency)).inc(max(int(amount), 0))

    _after_commit(count)


def login_failed() -> None:
    LOGIN_FAILURES.inc()


def locked_out() -> None:
    LOCKOUTS.inc()


def tokens_issued(amount: int, reason: str) -> None:
    _after_commit(lambda: TOKENS.labels("issued", reason[:40]).inc(amount))


def tokens_spent(amount: int, reason: str) -> None:
    _after_commit(lambda: TOKENS.labels("spent", reason[:40]).inc(amount))
