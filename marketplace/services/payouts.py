"""Paying instructors their available balance with a Stripe transfer to their connected account.

A payout happens in two steps:
1. reserve: under the balance's row lock, the whole available balance (if at least
   `PAYOUT_MINIMUM_CENTS`) becomes a pending `Payout` with a `payout` ledger entry taking it out of
   available. Nothing is reserved for an account that cannot receive payouts.
2. send: under the payout's row lock (`skip_locked`, so concurrent runs never send the same payout),
   one Stripe transfer with the idempotency key `lyceum-transfer-<payout id>`.

A failed transfer leaves the payout `failed` with its money still held by it (not back in available),
and the next run retries the same payout with the same idempotency key: even if Stripe made the
transfer but we never saw the answer, the retry returns that transfer instead of making a second one.
Staff can retry at once or cancel a failed payout in the console; canceling returns the money to
available with a `payout_reversal` entry.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import gateway
from billing.errors import PaymentError
from billing.models import ConnectedAccount
from config.errors import ConflictError

from ..models import EarningsEntry, InstructorBalance, Payout
from .earnings import locked_balance, post_entry

logger = logging.getLogger(__name__)
OPEN_STATUSES = (Payout.Status.PENDING, Payout.Status.FAILED)


def minimum_amount() -> int:
    return int(getattr(settings, "PAYOUT_MINIMUM_CENTS", 1000))


@dataclass
class PayoutRun:
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # instructors whose account cannot receive

    def summary(self) -> str:
        return f"{len(self.paid)} paid, {len(self.failed)} failed, {len(self.skipped)} skipped"


def _receiving_account(instructor_id: int) -> ConnectedAccount | None:
    account = ConnectedAccount.objects.filter(user_id=instructor_id).first()
    return account if account is not None and account.can_receive_payouts else None


def reserve_payout(instructor_id: int, currency: str) -> Payout | None:
    """Turn the available balance into a pending payout, or None (below the minimum, unsettled payout, no account)."""
    with transaction.atomic():
        balance = locked_balance(instructor_id, currency)
        if balance.available < minimum_amount():
            return None
        if Payout.objects.filter(instructor_id=instructor_id, currency=currency, status__in=OPEN_STATUSES).exists():
            return None  # the open one is retried first; its money is already out of available
        account = _receiving_account(instructor_id)
        if account is None:
            return None
        payout = Payout.objects.create(
            instructor_id=instructor_id,
            amount=balance.available,
            currency=currency,
            stripe_account_id=account.stripe_account_id,
        )
        post_entry(
            balance,
            kind=EarningsEntry.Kind.PAYOUT,
            bucket=EarningsEntry.Bucket.AVAILABLE,
            amount=-payout.amount,
            key=f"payout:{payout.pk}",
            now=timezone.now(),
            payout=payout,
        )
        balance.save()
        return payout


def send_payout(payout_id: int) -> Payout | None:
    """Make the payout's transfer. None when another run holds it, it is settled, or the account cannot receive."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(skip_locked=True).filter(pk=payout_id, status__in=OPEN_STATUSES).first()
        )
        if payout is None:
            return None
        account = _receiving_account(payout.instructor_id)
        if account is None:
            return None
        payout.attempts += 1
        try:
            transfer = gateway.create_transfer(
                payout_id=payout.pk,
                amount=payout.amount,
                currency=payout.currency,
                destination=payout.stripe_account_id,
                metadata={"payout_id": str(payout.pk), "instructor_id": str(payout.instructor_id)},
            )
        except PaymentError as exc:
            logger.warning("Payout %s failed (attempt %s): %s", payout.pk, payout.attempts, exc.message)
            payout.status = Payout.Status.FAILED
            payout.last_error = exc.message[:2000]
            payout.save(update_fields=["attempts", "status", "last_error", "updated_at"])
            return payout
        payout.status = Payout.Status.PAID
        payout.stripe_transfer_id = transfer["id"]
        payout.paid_at = timezone.now()
        payout.last_error = ""
        payout.save(update_fields=["attempts", "status", "stripe_transfer_id", "paid_at", "last_error", "updated_at"])
        return payout


def pay_out_instructors() -> PayoutRun:
    """The beat task's body: reserve every balance due a payout, then send every open payout. Safe to run concurrently."""
    run = PayoutRun()
    due = InstructorBalance.objects.filter(available__gte=minimum_amount()).values_list("instructor_id", "currency")
    for instructor_id, currency in list(due):
        if reserve_payout(instructor_id, currency) is None and _receiving_account(instructor_id) is None:
            run.skipped.append(instructor_id)
    for payout_id in list(Payout.objects.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True)):
        payout = send_payout(payout_id)
        if payout is None:
            continue
        (run.paid if payout.status == Payout.Status.PAID else run.failed).append(payout.pk)
    return run


def retry_payout(payout: Payout) -> Payout:
    """The console's retry action: send a failed (or stuck pending) payout now."""
    if payout.status not in OPEN_STATUSES:
        raise ConflictError(f"Payout {payout.pk} is {payout.get_status_display().lower()}: nothing to retry.")
    if _receiving_account(payout.instructor_id) is None:
        raise ConflictError(f"The instructor's account cannot receive payouts yet (payout {payout.pk}).")
    result = send_payout(payout.pk)
    if result is None:
        raise ConflictError(f"Payout {payout.pk} is being sent by another run; look again in a minute.")
    return result


def cancel_payout(payout: Payout, *, by=None) -> Payout:
    """Give up on a failed payout: its money goes back to the available balance."""
    with transaction.atomic():
        balance = locked_balance(payout.instructor_id, payout.currency)
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status != Payout.Status.FAILED:
            raise ConflictError(f"Only a failed payout can be canceled (payout {locked.pk} is {locked.status}).")
        locked.status = Payout.Status.CANCELED
        locked.save(update_fields=["status", "updated_at"])
        post_entry(
            balance,
            kind=EarningsEntry.Kind.PAYOUT_REVERSAL,
            bucket=EarningsEntry.Bucket.AVAILABLE,
            amount=locked.amount,
            key=f"payout-reversal:{locked.pk}",
            now=timezone.now(),
            payout=locked,
            created_by=by,
            note="Failed payout canceled; returned to the balance.",
        )
        balance.save()
        return locked
