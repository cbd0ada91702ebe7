"""Rewards' contribution to operations: outstanding tokens (scrape time) and the token-ledger launch check.
Issued and spent tokens are counted where they happen (operations.metrics.tokens_issued / tokens_spent)."""

from django.db.models import Sum

from operations.interface import GaugeMetricFamily, Verdict, register_gauges, register_launch_check

from .models import TokenBalance


def token_gauges():
    """One query: tokens held and owed across every balance."""
    totals = TokenBalance.objects.aggregate(held=Sum("balance"), owed=Sum("owed"))
    family = GaugeMetricFamily(
        "lyceum_reward_tokens_outstanding", "Reward tokens held in balances, and owed from refunds.", labels=["state"]
    )
    family.add_metric(["held"], totals["held"] or 0)
    family.add_metric(["owed"], totals["owed"] or 0)
    yield family


def token_ledger_verifies() -> Verdict:
    from .services.ledger import verify

    checked, problems = verify()
    if problems:
        return Verdict(
            False, f"{len(problems)} problem(s) in {checked} token balances (manage.py verify_tokens lists them)"
        )
    return Verdict(True, f"all {checked} token balances equal the sum of their entries")


def register() -> None:
    register_gauges("rewards", token_gauges, exports=["lyceum_reward_tokens_outstanding"])
    register_launch_check("ledger_tokens", "Token ledger verifies", token_ledger_verifies, order=101)
