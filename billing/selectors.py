from datetime import timedelta

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from accounts.interface import may

from .models import Payment, Refund, StripeEvent


def payments_for(user) -> QuerySet[Payment]:
    """Payments the user may see: their own, or everyone's for staff who may read payments (Finance,
    Support: accounts/permission_table.py "billing.read_any_payment"), in the console, the API and the pages."""
    qs = Payment.objects.select_related("user")
    return qs if may(user, "billing.read_any_payment") else qs.filter(user=user)


def own_payments(user) -> QuerySet[Payment]:
    return Payment.objects.filter(user=user).order_by("-created_at")


def revenue_summary(now=None) -> dict:
    """Gross, refunds and net for today, 7 and 30 days, overall and by purpose, per currency."""
    now = now or timezone.now()
    start_of_today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    windows = {"today": start_of_today, "7 days": now - timedelta(days=7), "30 days": now - timedelta(days=30)}
    paid = Payment.objects.filter(status__in=Payment.PAID_STATUSES)
    result = {}
    for label, since in windows.items():
        gross_rows = (
            paid.filter(succeeded_at__gte=since)
            .values("currency", "purpose")
            .annotate(gross=Sum("amount"), count=Count("id"))
            .order_by("currency", "purpose")
        )
        refund_rows = (
            Refund.objects.filter(status=Refund.Status.SUCCEEDED, created_at__gte=since)
            .values("payment__currency", "payment__purpose")
            .annotate(refunded=Sum("amount"))
        )
        refunds = {(r["payment__currency"], r["payment__purpose"]): r["refunded"] for r in refund_rows}
        rows = {}
        for row in gross_rows:
            key = (row["currency"], row["purpose"])
            rows[key] = {
                "currency": row["currency"],
                "purpose": row["purpose"],
                "gross": row["gross"],
                "count": row["count"],
                "refunds": 0,
            }
        for key, refunded in refunds.items():
            rows.setdefault(key, {"currency": key[0], "purpose": key[1], "gross": 0, "count": 0, "refunds": 0})
            rows[key]["refunds"] = refunded
        for row in rows.values():
            row["net"] = row["gross"] - row["refunds"]
        totals: dict[str, dict] = {}
        for row in rows.values():
            t = totals.setdefault(
                row["currency"], {"currency": row["currency"], "gross": 0, "refunds": 0, "net": 0, "count": 0}
            )
            for k in ("gross", "refunds", "net", "count"):
                t[k] += row[k]
        result[label] = {
            "by_purpose": sorted(rows.values(), key=lambda r: (r["currency"], r["purpose"])),
            "totals": list(totals.values()),
        }
    return result


def daily_revenue(currency: str = "usd", days: int = 30, now=None) -> list[dict]:
    """Net revenue per day in one currency (minor units), for the chart."""
    now = now or timezone.now()
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = Payment.objects.filter(
        status__in=Payment.PAID_STATUSES, succeeded_at__gte=since, currency=currency
    ).values_list("succeeded_at", "amount", "amount_refunded")
    buckets: dict = {}
    for day in range(days):
        date = (since + timedelta(days=day)).date()
        buckets[date] = 0
    for succeeded_at, amount, refunded in rows:
        date = timezone.localtime(succeeded_at).date()
        if date in buckets:
            buckets[date] += amount - refunded
    return [{"date": d, "net": v} for d, v in buckets.items()]


def revenue_since(since) -> dict[str, int]:
    """Gross paid since a moment, per currency (minor units): the console home's "Revenue today"."""
    rows = (
        Payment.objects.filter(status__in=Payment.PAID_STATUSES, succeeded_at__gte=since)
        .values("currency")
        .annotate(gross=Sum("amount"))
        .order_by("currency")
    )
    return {row["currency"]: row["gross"] for row in rows}


def refunds_since(since) -> int:
    return Refund.objects.filter(status=Refund.Status.SUCCEEDED, created_at__gte=since).count()


def failed_event_count() -> int:
    return StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).count()
