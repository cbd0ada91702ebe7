"""Repair what lost webhooks left behind, by listing recent objects from Stripe. A second run changes nothing."""

import logging
import time
from dataclasses import dataclass, field

from operations.interface import metrics

from .. import gateway, registry
from ..models import Payment, Refund
from .fulfilment import apply_checkout_session, apply_payment_intent, payment_for_session
from .invoices import record_invoice_payment
from .refunds import apply_refund, auto_refund, settle_pending_refunds

logger = logging.getLogger(__name__)


@dataclass
class ReconciliationReport:
    checked_sessions: int = 0
    checked_payment_intents: int = 0
    checked_refunds: int = 0
    checked_invoices: int = 0
    repaired: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"Checked {self.checked_sessions} checkout sessions, {self.checked_payment_intents} payment intents, "
            f"{self.checked_refunds} refunds, {self.checked_invoices} invoices; repaired {len(self.repaired)}."
        ]
        lines += [f"  - {line}" for line in self.repaired]
        return "\n".join(lines)


def reconcile(*, hours: int = 72) -> ReconciliationReport:
    """Repair what lost webhooks left behind, by listing recent objects from Stripe."""
    report = ReconciliationReport()
    since = int(time.time()) - hours * 3600
    for session in gateway.list_checkout_sessions(created_after=since):
        report.checked_sessions += 1
        payment = payment_for_session(session)
        if payment is None:
            continue
        before = (payment.status, payment.fulfilled_at, payment.open_checkout_key)
        if session.get("status") in ("complete", "expired"):
            if session.get("status") == "complete" and payment.fulfilled_at is not None:
                continue
            full = gateway.retrieve_checkout_session(session["id"])
            after = apply_checkout_session(full)
            if after is not None and (after.status, after.fulfilled_at, after.open_checkout_key) != before:
                report.repaired.append(f"payment {payment.pk}: {before[0]} → {after.status}")
    for pi in gateway.list_payment_intents(created_after=since):
        report.checked_payment_intents += 1
        if pi.get("status") == "requires_payment_method" and pi.get("last_payment_error"):
            payment_id = (pi.get("metadata") or {}).get("payment_id")
            before = (
                Payment.objects.filter(pk=payment_id).values_list("status", flat=True).first() if payment_id else None
            )
            after = apply_payment_intent(pi)
            if after is not None and after.status != before:
                report.repaired.append(f"payment {after.pk}: {before} → {after.status}")
    for data in gateway.list_refunds(created_after=since):
        report.checked_refunds += 1
        known = Refund.objects.filter(
            stripe_refund_id=data["id"], status=Refund.Status.SUCCEEDED, revoked_at__isnull=False
        ).exists()
        if not known and data.get("status") == "succeeded":
            refund = apply_refund(data)
            if refund is not None:
                report.repaired.append(f"refund {data['id']} recorded for payment {refund.payment_id}")
    for payment_id in (
        Payment.objects.filter(status__in=[Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED])
        .exclude(auto_refund_reason="")
        .values_list("pk", flat=True)
    ):
        if auto_refund(payment_id) is not None:
            report.repaired.append(f"payment {payment_id} refunded automatically")
    settled = settle_pending_refunds()
    if settled:
        report.repaired.append(f"{settled} unconfirmed refund(s) completed")
    for invoice in gateway.list_recent_invoices(created_after=since):
        report.checked_invoices += 1
        if not Payment.objects.filter(stripe_invoice_id=invoice["id"]).exists():
            payment = record_invoice_payment(invoice["id"])
            if payment is not None and payment.stripe_invoice_id == invoice["id"]:
                report.repaired.append(f"invoice {invoice['id']} recorded as payment {payment.pk}")
        # The apps that act on invoices (subscriptions, licensing) bring their own rows in line, idempotently.
        for handler in registry.event_handlers("invoice.paid"):
            handler({"type": "invoice.paid", "data": {"object": invoice}})
    metrics.reconciliation_finished(len(report.repaired))
    if report.repaired:
        logger.warning("Reconciliation repaired %d record(s):\n%s", len(report.repaired), report.summary())
    return report
