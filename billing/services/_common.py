"""Small helpers the billing services share."""

from datetime import UTC, datetime

from django.utils import timezone

from ..models import ReceiptSequence


def stripe_id(value) -> str:
    """The id of a Stripe reference, whether Stripe sent the id or the expanded object."""
    if not value:
        return ""
    return value if isinstance(value, str) else value.get("id", "")


def expanded(value) -> bool:
    """An expanded Stripe object (a StripeObject is not a dict in stripe-python 15), not an id or None."""
    return bool(value) and not isinstance(value, str)


def stripe_timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value else None


def next_receipt_number(now: datetime | None = None) -> str:
    """Receipt numbers run per year without gaps (LYC-2026-000001); call inside the payment's transaction."""
    now = now or timezone.now()
    ReceiptSequence.objects.get_or_create(year=now.year)
    seq = ReceiptSequence.objects.select_for_update().get(year=now.year)
    seq.last_number += 1
    seq.save(update_fields=["last_number"])
    return f"LYC-{now.year}-{seq.last_number:06d}"
