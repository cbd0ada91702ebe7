"""Reads for the instructor's earnings: dashboard figures, sales lists, the CSV export.

Every function runs a fixed number of queries whatever the number of sales (the dashboard test pins it).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing import interface as billing
from billing.interface import ConnectedAccount, bps_as_percent, format_money, major_units

from .models import EarningsEntry, InstructorBalance, Payout, Sale

CHART_MONTHS = 12
RECENT_PAYOUTS = 10


@dataclass
class CurrencyTotals:
    currency: str
    sales: int = 0
    gross: int = 0
    platform_fee: int = 0
    instructor_share: int = 0
    refund_reversals: int = 0  # positive: how much of the share refunds took back

    @property
    def net(self) -> int:
        return self.instructor_share - self.refund_reversals


@dataclass
class ChartBar:
    month: datetime
    amount: int
    label: str
    pct: int


@dataclass
class Chart:
    currency: str
    bars: list[ChartBar] = field(default_factory=list)


def sales_for(instructor) -> QuerySet[Sale]:
    return Sale.objects.filter(instructor=instructor).select_related("course", "payment").order_by("-created_at", "-id")


def totals(instructor) -> list[CurrencyTotals]:
    """Sales, gross, platform fee, share and refund reversals per currency (two queries)."""
    by_currency: dict[str, CurrencyTotals] = {}
    rows = (
        Sale.objects.filter(instructor=instructor)
        .values("currency")
        .annotate(
            sales=Count("id"), gross=Sum("gross"), platform=Sum("platform_amount"), share=Sum("instructor_amount")
        )
        .order_by("currency")
    )
    for row in rows:
        by_currency[row["currency"]] = CurrencyTotals(
            currency=row["currency"],
            sales=row["sales"],
            gross=row["gross"] or 0,
            platform_fee=row["platform"] or 0,
            instructor_share=row["share"] or 0,
        )
    reversals = (
        EarningsEntry.objects.filter(instructor=instructor, kind=EarningsEntry.Kind.REFUND_REVERSAL)
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    for row in reversals:
        by_currency.setdefault(row["currency"], CurrencyTotals(currency=row["currency"])).refund_reversals = -(
            row["total"] or 0
        )
    return [by_currency[code] for code in sorted(by_currency)]


def balances(instructor) -> list[InstructorBalance]:
    return list(InstructorBalance.objects.filter(instructor=instructor).order_by("currency"))


def open_payouts(instructor) -> list[Payout]:
    """Payouts whose money has left the available balance but not yet reached Stripe (at most one per currency)."""
    return list(Payout.objects.filter(instructor=instructor, status__in=Payout.OPEN_STATUSES).order_by("currency"))


def payout_minimum(balances: list[InstructorBalance]) -> str:
    """The payout minimum as shown: the same number of minor units in each currency the instructor earns in."""
    currencies = [balance.currency for balance in balances] or ["usd"]
    return " / ".join(format_money(settings.PAYOUT_MINIMUM_CENTS, currency) for currency in currencies)


def recent_payouts(instructor, limit: int = RECENT_PAYOUTS) -> list[Payout]:
    return list(Payout.objects.filter(instructor=instructor).order_by("-created_at", "-id")[:limit])


def _month_starts(now: datetime, months: int) -> list[datetime]:
    current = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = []
    year, month = current.year, current.month
    for _ in range(months):
        starts.append(current.replace(year=year, month=month))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(starts))


def monthly_charts(instructor, *, months: int = CHART_MONTHS, now: datetime | None = None) -> list[Chart]:
    """The instructor's share per month for the last `months` months, one chart per currency (one query)."""
    starts = _month_starts(now or timezone.now(), months)
    rows = (
        Sale.objects.filter(instructor=instructor, created_at__gte=starts[0])
        .annotate(month=TruncMonth("created_at"))
        .values("currency", "month")
        .annotate(share=Sum("instructor_amount"))
        .order_by("currency", "month")
    )
    amounts: dict[str, dict[tuple[int, int], int]] = {}
    for row in rows:
        month = timezone.localtime(row["month"]) if timezone.is_aware(row["month"]) else row["month"]
        amounts.setdefault(row["currency"], {})[(month.year, month.month)] = row["share"] or 0
    charts = []
    for currency in sorted(amounts):
        values = [amounts[currency].get((start.year, start.month), 0) for start in starts]
        peak = max(values + [1])
        chart = Chart(currency=currency)
        for start, value in zip(starts, values, strict=True):
            chart.bars.append(
                ChartBar(month=start, amount=value, label=format_money(value, currency), pct=round(100 * value / peak))
            )
        charts.append(chart)
    return charts


@dataclass
class Dashboard:
    totals: list[CurrencyTotals]
    balances: list[InstructorBalance]
    payouts: list[Payout]
    charts: list[Chart]
    account: ConnectedAccount | None

    @property
    def payouts_enabled(self) -> bool:
        return billing.can_receive_payouts(self.account)


def dashboard(instructor, *, now: datetime | None = None) -> Dashboard:
    return Dashboard(
        totals=totals(instructor),
        balances=balances(instructor),
        payouts=recent_payouts(instructor),
        charts=monthly_charts(instructor, now=now),
        account=billing.connected_account_for(instructor),
    )


CSV_HEADER = [
    "Date",
    "Receipt",
    "Course",
    "Currency",
    "Gross",
    "Instructor share (%)",
    "Your share",
    "Platform fee",
    "Refunded",
    "Available from",
]


def sales_csv_rows(instructor):
    """The CSV export, one row per sale, amounts in major units (one query, streamed)."""
    yield CSV_HEADER
    for sale in sales_for(instructor).iterator(chunk_size=500):
        yield [
            timezone.localtime(sale.created_at).strftime("%Y-%m-%d %H:%M"),
            sale.payment.receipt_number or "",
            sale.course.title,
            sale.currency.upper(),
            major_units(sale.gross, sale.currency),
            bps_as_percent(sale.instructor_bps),
            major_units(sale.instructor_amount, sale.currency),
            major_units(sale.platform_amount, sale.currency),
            major_units(sale.payment.amount_refunded, sale.currency),
            timezone.localtime(sale.available_at).strftime("%Y-%m-%d"),
        ]
