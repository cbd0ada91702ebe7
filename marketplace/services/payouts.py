"""Paying instructors their available balance with a Stripe transfer to their connected account.

A payout happens in two steps:
1. reserve: under the balance's row lock, the whole available balance (if at least
   `PAYOUT_MINIMUM_CENTS`) becomes a pending `Payout` with a `payout` ledger entry taking it out of
   available. Nothing is reserved for an account that cannot receive payouts.
2. send: under the payout's row lock (`skip_locked`, so concurrent runs never send the same payout),
   each attempt first looks for a transfer Stripe already made for it (every transfer of a payout
   carries `transfer_group="payout-<id>"`) and records that one if found; only otherwise does it send
   a transfer, with an idempotency key of its own (`lyceum-transfer-<payout id>-attempt-<n>`).

Why both: a fresh key per attempt means a retry after a failure really sends again (Stripe replays
the stored answer, an error included, to a reused key for 24 hours), and the transfer-group lookup
means a transfer whose answer we never saw (a timeout, a lost worker) is found and recorded rather
than made a second time, however long after the first attempt the retry comes.

A failed transfer leaves the payout `failed` with its money still held by it (not back in available),
and the next run retries it. Staff can retry at once or cancel a failed payout in the console;
canceling returns the money to available with a `payout_reversal` entry.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import interface as billing
from billing.interface import ConnectedAccount, PaymentError, format_money
from config.errors import ConflictError
from operations.interface import metrics

from .. import emails
from ..models import EarningsEntry, InstructorBalance, Payout
from .earnings import locked_balance, post_entry

logger = logging.getLogger(__name__)
OPEN_STATUSES = Payout.OPEN_STATUSES


def transfer_group(payout: Payout) -> str:
    return f"payout-{payout.pk}"


@dataclass
class PayoutRun:
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # instructors whose account cannot receive

    def summary(self) -> str:
        return f"{len(self.paid)} paid, {len(self.failed)} failed, {len(self.skipped)} skipped"


def reserve_payout(instructor_id: int, currency: str, *, account: ConnectedAccount | None = None) -> Payout | None:
    """Turn the available balance into a pending payout, or None (below the minimum, unsettled payout, no account).

    `account` is the instructor's connected account when the caller already has it (else it is looked up).
    """
    with transaction.atomic():
        balance = locked_balance(instructor_id, currency)
        if balance.available < settings.PAYOUT_MINIMUM_CENTS:
            return None
        if Payout.objects.filter(instructor_id=instructor_id, currency=currency, status__in=OPEN_STATUSES).exists():
            return None  # the open one is retried first; its money is already out of available
        if account is None:
            account = billing.receiving_account(instructor_id)
        if not billing.can_receive_payouts(account):
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


def _mark_paid(payout: Payout, transfer: dict) -> Payout:
    payout.status = Payout.Status.PAID
    payout.stripe_transfer_id = transfer["id"]
    payout.paid_at = timezone.now()
    payout.last_error = ""
    payout.save(update_fields=["attempts", "status", "stripe_transfer_id", "paid_at", "last_error", "updated_at"])
    metrics.payout_attempt("paid", currency=payout.currency, amount=payout.amount)
    # Once per payout: only the run holding the payout's lock gets here, and a paid payout is never sent again.
    emails.send_after_commit(
        "payout_sent", payout.instructor, payout=payout, amount=format_money(payout.amount, payout.currency)
    )
    return payout


def send_payout(payout_id: int, *, account: ConnectedAccount | None = None) -> Payout | None:
    """Make (or find) the payout's transfer. None when another run holds it, it is settled, or the account
    cannot receive. `account` is the instructor's connected account when the caller already has it."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("instructor")
            .filter(pk=payout_id, status__in=OPEN_STATUSES)
            .first()
        )
        if payout is None:
            return None
        if account is None:
            account = billing.receiving_account(payout.instructor_id)
        if not billing.can_receive_payouts(account):
            return None
        payout.attempts += 1
        group = transfer_group(payout)
        try:
            # An earlier attempt may have made the transfer without our seeing the answer.
            transfer = billing.find_transfer(group)
            if transfer is not None:
                logger.info("Payout %s: found transfer %s made by an earlier attempt", payout.pk, transfer["id"])
            else:
                transfer = billing.create_transfer(
                    payout_id=payout.pk,
                    attempt=payout.attempts,
                    amount=payout.amount,
                    currency=payout.currency,
                    destination=payout.stripe_account_id,
                    transfer_group=group,
                    metadata={"payout_id": str(payout.pk), "instructor_id": str(payout.instructor_id)},
                )
        except PaymentError as exc:
            logger.warning("Payout %s failed (attempt %s): %s", payout.pk, payout.attempts, exc.message)
            payout.status = Payout.Status.FAILED
            payout.last_error = exc.message[:2000]
            payout.save(update_fields=["attempts", "status", "last_error", "updated_at"])
            metrics.payout_attempt("failed", currency=payout.currency, amount=payout.amount)
            return payout
        return _mark_paid(payout, transfer)


def pay_out_instructors() -> PayoutRun:
    """The beat task's body: reserve every balance due a payout, then send every open payout. Safe to run concurrently.

    Each instructor's connected account is read once for the whole run (one query for all of them).
    """
    run = PayoutRun()
    due = list(
        InstructorBalance.objects.filter(available__gte=settings.PAYOUT_MINIMUM_CENTS).values_list(
            "instructor_id", "currency"
        )
    )
    accounts = billing.receiving_accounts(instructor_id for instructor_id, _ in due)
    for instructor_id, currency in due:
        account = accounts.get(instructor_id)
        if account is None:
            run.skipped.append(instructor_id)
            continue
        reserve_payout(instructor_id, currency, account=account)
    open_payouts = list(
        Payout.objects.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", "instructor_id")
    )
    # Open payouts of instructors with nothing new due (e.g. a failed one from an earlier run).
    accounts.update(billing.receiving_accounts({i for _, i in open_payouts if i not in accounts} - set(run.skipped)))
    for payout_id, instructor_id in open_payouts:
        account = accounts.get(instructor_id)
        if account is None:
            continue
        payout = send_payout(payout_id, account=account)
        if payout is None:
            continue
        (run.paid if payout.status == Payout.Status.PAID else run.failed).append(payout.pk)
    return run


def retry_payout(payout: Payout) -> Payout:
    """The console's retry action: send a failed (or stuck pending) payout now."""
    if payout.status not in OPEN_STATUSES:
        raise ConflictError(f"Payout {payout.pk} is {payout.get_status_display().lower()}: nothing to retry.")
    account = billing.receiving_account(payout.instructor_id)
    if account is None:
        raise ConflictError(f"The instructor's account cannot receive payouts yet (payout {payout.pk}).")
    result = send_payout(payout.pk, account=account)
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
