"""Marketplace's contribution to operations: open payouts (scrape time) and the earnings-ledger launch check."""

from django.db.models import Count

from operations.interface import GaugeMetricFamily, Verdict, register_gauges, register_launch_check

from .models import Payout


def payout_gauges():
    """One query: payouts not settled yet (a failed one is retried by the next run)."""
    family = GaugeMetricFamily(
        "lyceum_payouts_open", "Payouts not settled, by status (pending, failed).", labels=["status"]
    )
    counts = dict.fromkeys(Payout.OPEN_STATUSES, 0)
    counts.update(
        Payout.objects.filter(status__in=Payout.OPEN_STATUSES).values_list("status").annotate(n=Count("pk")).order_by()
    )
    for status, n in counts.items():
        family.add_metric([status], n)
    yield family


def earnings_ledger_verifies() -> Verdict:
    from .services.earnings import verify_balances

    checked, mismatches = verify_balances()
    if mismatches:
        return Verdict(
            False,
            f"{len(mismatches)} of {checked} instructor balances differ from their entries "
            "(manage.py verify_earnings lists them)",
        )
    return Verdict(True, f"all {checked} instructor balances equal the sum of their entries")


def register() -> None:
    register_gauges("marketplace", payout_gauges, exports=["lyceum_payouts_open"])
    register_launch_check("ledger_earnings", "Earnings ledger verifies", earnings_ledger_verifies, order=100)
