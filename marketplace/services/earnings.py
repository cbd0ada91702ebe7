"""The instructor earnings ledger: the revenue share, sales, the refund window, refund reversals.

Rules (DESIGN.md, "Money, ledgers, idempotency"):
- A sale's split is computed once, at fulfilment, with `billing.money.split` (the instructor's share is
  rounded down, the platform gets the remainder) and frozen on the `Sale`.
- Every change to a balance is an append-only `EarningsEntry` with a unique idempotency key, written in
  the same transaction that updates the `InstructorBalance` row under `select_for_update()`.
- A share is pending for the refund window (`pending_days()`, 30 by default), then released to
  available by `release_matured_earnings`.
- A refund reverses the instructor's share in proportion, computed on the payment's cumulative refunded
  amount (`Payment.amount_refunded`, kept by billing) so that a series of partial refunds adds up to
  exactly the full share. While the share is pending
  the reversal comes out of pending; once released it comes out of available, and what available cannot
  cover becomes `debt`, repaid first from whatever becomes available next (available never goes negative).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.interface import Payment, Refund, check_currency, format_money, proportion, split
from config.errors import ConflictError, DomainError
from subscriptions.interface import current_tier_code

from ..models import Course, EarningsEntry, InstructorBalance, RevenueShareRule, Sale

DEFAULT_PENDING_DAYS = 30


def pending_days() -> int:
    """How long a sale's share stays pending (the refund window), in days."""
    return int(getattr(settings, "EARNINGS_PENDING_DAYS", DEFAULT_PENDING_DAYS))


# The revenue share ---------------------------------------------------------------------------


def share_rule_for(instructor) -> RevenueShareRule:
    """The active rule for the instructor's current subscription tier, else the default rule.

    The rules are seeded by migration 0005 and edited by staff in the console."""
    tier = current_tier_code(instructor)
    rules = {rule.tier_code: rule for rule in RevenueShareRule.objects.filter(is_active=True)}
    rule = rules.get(tier) or rules.get("")
    if rule is None:
        raise DomainError("No default revenue-share rule is active: add one in the console.", code="no_share_rule")
    return rule


# Posting to the ledger -----------------------------------------------------------------------


def locked_balance(instructor_id: int, currency: str) -> InstructorBalance:
    """The balance row, created if needed, locked until the end of the caller's transaction."""
    balance, _ = InstructorBalance.objects.select_for_update().get_or_create(
        instructor_id=instructor_id, currency=currency
    )
    return balance


def _move_available(balance: InstructorBalance, amount: int) -> None:
    if amount >= 0:
        repaid = min(balance.debt, amount)
        balance.debt -= repaid
        balance.available += amount - repaid
    else:
        taken = min(balance.available, -amount)
        balance.available -= taken
        balance.debt += -amount - taken


def post_entry(
    balance: InstructorBalance,
    *,
    kind: str,
    bucket: str,
    amount: int,
    key: str,
    now: datetime,
    **references,
) -> EarningsEntry | None:
    """Append one entry and apply it to the locked balance (the caller saves the balance). None if already posted."""
    if amount == 0 or EarningsEntry.objects.filter(idempotency_key=key).exists():
        return None
    entry = EarningsEntry.objects.create(
        instructor_id=balance.instructor_id,
        currency=balance.currency,
        kind=kind,
        bucket=bucket,
        amount=amount,
        idempotency_key=key,
        created_at=now,
        **references,
    )
    if bucket == EarningsEntry.Bucket.PENDING:
        balance.pending += amount
    else:
        _move_available(balance, amount)
    return entry


# Sales ---------------------------------------------------------------------------------------


def record_sale(payment: Payment, course: Course, *, now: datetime | None = None) -> Sale:
    """Freeze the split of a paid course and credit the instructor's share as pending. Once per payment."""
    existing = Sale.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    now = now or timezone.now()
    currency = check_currency(payment.currency)
    rule = share_rule_for(course.instructor)
    # The instructor's share rounded down, the remainder to the platform.
    instructor_amount, platform_amount = split(payment.amount, rule.instructor_bps)
    available_at = now + timedelta(days=pending_days())
    try:
        with transaction.atomic():
            sale = Sale.objects.create(
                payment=payment,
                course=course,
                instructor_id=course.instructor_id,
                gross=payment.amount,
                currency=currency,
                rule_code=rule.code,
                instructor_bps=rule.instructor_bps,
                instructor_amount=instructor_amount,
                platform_amount=platform_amount,
                available_at=available_at,
                created_at=now,
            )
            balance = locked_balance(course.instructor_id, currency)
            post_entry(
                balance,
                kind=EarningsEntry.Kind.SALE,
                bucket=EarningsEntry.Bucket.PENDING,
                amount=instructor_amount,
                key=f"sale:{sale.pk}",
                now=now,
                sale=sale,
            )
            balance.save()
    except IntegrityError:
        # A concurrent fulfilment of the same payment won the unique constraint.
        return Sale.objects.get(payment=payment)
    return sale


def reverse_for_refund(payment: Payment, refund: Refund, *, now: datetime | None = None) -> EarningsEntry | None:
    """Take back the instructor's part of a refund, in proportion. Once per refund (key: the refund id)."""
    sale = Sale.objects.filter(payment=payment).first()
    if sale is None or sale.instructor_amount == 0:
        return None
    now = now or timezone.now()
    with transaction.atomic():
        balance = locked_balance(sale.instructor_id, sale.currency)
        sale = Sale.objects.get(pk=sale.pk)  # released_at as of the lock
        key = f"refund:{refund.pk}"
        if EarningsEntry.objects.filter(idempotency_key=key).exists():
            return None
        # Cumulative: the share of everything refunded so far, less what earlier reversals took back.
        # Rounding each refund separately would leave cents behind after several partial refunds.
        target = proportion(min(payment.amount_refunded, sale.gross), sale.gross, sale.instructor_amount)
        already = -(
            EarningsEntry.objects.filter(sale=sale, kind=EarningsEntry.Kind.REFUND_REVERSAL).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        amount = target - already
        if amount <= 0:
            return None
        bucket = EarningsEntry.Bucket.AVAILABLE if sale.released_at else EarningsEntry.Bucket.PENDING
        refunded, gross = format_money(refund.amount, sale.currency), format_money(sale.gross, sale.currency)
        entry = post_entry(
            balance,
            kind=EarningsEntry.Kind.REFUND_REVERSAL,
            bucket=bucket,
            amount=-amount,
            key=key,
            now=now,
            sale=sale,
            refund=refund,
            note=f"Refund of {refunded} of {gross}",
        )
        balance.save()
        return entry


# The refund window ---------------------------------------------------------------------------


def release_sale(sale_id: int, *, now: datetime) -> bool:
    """Move what is left of one matured sale's share from pending to available.

    True if this call released the sale; False if it is not due yet or already released (by a concurrent run too).
    """
    with transaction.atomic():
        # The sale's row lock serialises concurrent releases of it; refunds serialise on the balance lock
        # (taken next) and read released_at after it, so they see either before or after the release.
        sale = (
            Sale.objects.select_for_update().filter(pk=sale_id, released_at__isnull=True, available_at__lte=now).first()
        )
        if sale is None:
            return False
        balance = locked_balance(sale.instructor_id, sale.currency)
        remaining = (
            EarningsEntry.objects.filter(sale=sale, bucket=EarningsEntry.Bucket.PENDING).aggregate(total=Sum("amount"))[
                "total"
            ]
            or 0
        )
        if remaining:
            post_entry(
                balance,
                kind=EarningsEntry.Kind.RELEASE,
                bucket=EarningsEntry.Bucket.PENDING,
                amount=-remaining,
                key=f"release:{sale.pk}:pending",
                now=now,
                sale=sale,
            )
            post_entry(
                balance,
                kind=EarningsEntry.Kind.RELEASE,
                bucket=EarningsEntry.Bucket.AVAILABLE,
                amount=remaining,
                key=f"release:{sale.pk}:available",
                now=now,
                sale=sale,
            )
            balance.save()
        Sale.objects.filter(pk=sale.pk).update(released_at=now)
        return True


def release_matured_earnings(*, now: datetime | None = None) -> int:
    """Release every sale whose refund window has ended. Idempotent; returns how many sales this run released."""
    now = now or timezone.now()
    due = Sale.objects.filter(released_at__isnull=True, available_at__lte=now).order_by("available_at")
    return sum(release_sale(sale_id, now=now) for sale_id in due.values_list("pk", flat=True).iterator())


# Corrections and verification ----------------------------------------------------------------


def post_correction(
    instructor, *, currency: str, amount: int, note: str, key: str, by=None, bucket: str = "available"
) -> EarningsEntry:
    """Staff fix a mistake with a new entry (never by editing one)."""
    if not (note or "").strip():
        raise DomainError("Say why the correction is made.", code="note_required", fields={"note": ["Required."]})
    if bucket not in EarningsEntry.Bucket.values:
        raise DomainError("Pick the pending or the available balance.", code="invalid_bucket")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise DomainError("A correction is a non-zero whole number of minor units.", code="invalid_amount")
    currency = check_currency(currency)
    with transaction.atomic():
        balance = locked_balance(instructor.pk, currency)
        if bucket == EarningsEntry.Bucket.PENDING and balance.pending + amount < 0:
            raise ConflictError("The pending balance cannot go below zero.", code="would_go_negative")
        entry = post_entry(
            balance,
            kind=EarningsEntry.Kind.CORRECTION,
            bucket=bucket,
            amount=amount,
            key=f"correction:{key}",
            now=timezone.now(),
            note=note.strip()[:255],
            created_by=by,
        )
        if entry is None:
            raise ConflictError("That correction was already posted.", code="duplicate_correction")
        balance.save()
        return entry


@dataclass(frozen=True)
class BalanceMismatch:
    instructor_id: int
    currency: str
    pending: tuple[int, int]  # (balance row, sum of entries)
    available: tuple[int, int]  # (available - debt, sum of entries)

    def __str__(self) -> str:
        return (
            f"instructor {self.instructor_id} {self.currency.upper()}: pending {self.pending[0]} vs entries "
            f"{self.pending[1]}; available-debt {self.available[0]} vs entries {self.available[1]}"
        )


def verify_balances() -> tuple[int, list[BalanceMismatch]]:
    """Compare every balance with the sum of its entries. Returns (balances checked, mismatches)."""
    sums: dict[tuple[int, str], dict[str, int]] = {}
    for row in EarningsEntry.objects.values("instructor_id", "currency", "bucket").annotate(total=Sum("amount")):
        sums.setdefault((row["instructor_id"], row["currency"]), {})[row["bucket"]] = row["total"]
    mismatches = []
    checked = 0
    for balance in InstructorBalance.objects.all().iterator():
        checked += 1
        totals = sums.pop((balance.instructor_id, balance.currency), {})
        pending = totals.get(EarningsEntry.Bucket.PENDING, 0)
        available = totals.get(EarningsEntry.Bucket.AVAILABLE, 0)
        if balance.pending != pending or balance.available - balance.debt != available:
            mismatches.append(
                BalanceMismatch(
                    balance.instructor_id,
                    balance.currency,
                    (balance.pending, pending),
                    (balance.available - balance.debt, available),
                )
            )
    for (instructor_id, currency), totals in sums.items():  # entries without a balance row
        mismatches.append(
            BalanceMismatch(
                instructor_id,
                currency,
                (0, totals.get(EarningsEntry.Bucket.PENDING, 0)),
                (0, totals.get(EarningsEntry.Bucket.AVAILABLE, 0)),
            )
        )
    return checked, mismatches
