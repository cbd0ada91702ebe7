"""Studio pages for money: the earnings dashboard, the sales CSV, payout onboarding. Thin: selectors and services."""

import csv

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing import interface as billing
from config.errors import DomainError

from . import earnings_selectors
from .services.earnings import pending_days
from .views import instructor_required


class _Echo:
    """csv.writer wants a file; StreamingHttpResponse wants an iterator of lines."""

    def write(self, value):
        return value


@instructor_required
def earnings_dashboard(request):
    data = earnings_selectors.dashboard(request.user)
    return render(request, "marketplace/studio/earnings.html", {"dashboard": data, "pending_days": pending_days()})


@instructor_required
def earnings_sales_csv(request):
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in earnings_selectors.sales_csv_rows(request.user))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    filename = f"lyceum-sales-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@instructor_required
def payouts_page(request):
    account = billing.connected_account_for(request.user)
    balances = earnings_selectors.balances(request.user)
    context = {
        "account": account,
        "payouts_enabled": billing.can_receive_payouts(account),
        "payouts": earnings_selectors.recent_payouts(request.user, limit=50),
        "balances": balances,
        "open_payouts": earnings_selectors.open_payouts(request.user),
        "minimum": earnings_selectors.payout_minimum(balances),
    }
    return render(request, "marketplace/studio/payouts.html", context)


def _onboarding_redirect(request):
    try:
        url = billing.start_payout_onboarding(
            request.user,
            return_url=request.build_absolute_uri(reverse("marketplace:studio_payouts_return")),
            refresh_url=request.build_absolute_uri(reverse("marketplace:studio_payouts_refresh")),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("marketplace:studio_payouts")
    return redirect(url)


@require_POST
@instructor_required
def payouts_onboard(request):
    """Create the Express account if needed and send the instructor to Stripe's hosted onboarding."""
    return _onboarding_redirect(request)


@instructor_required
def payouts_refresh(request):
    """Stripe sends the instructor here when an onboarding link was used or expired: issue a new one.

    A GET never creates a Stripe account: without one, the instructor goes to the payouts page, whose
    button (a POST) creates it.
    """
    if billing.connected_account_for(request.user) is None:
        return redirect("marketplace:studio_payouts")
    return _onboarding_redirect(request)


@instructor_required
def payouts_return(request):
    """Back from onboarding: re-read the account from Stripe so the page shows its real state."""
    account = billing.connected_account_for(request.user)
    if account is None:
        return redirect("marketplace:studio_payouts")
    try:
        account = billing.refresh_connected_account(account)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("marketplace:studio_payouts")
    if billing.can_receive_payouts(account):
        messages.success(request, "Your payout account is ready: your available earnings will be paid out to it.")
    else:
        messages.warning(request, "Stripe still needs some details before payouts can start. Continue setting up.")
    return redirect("marketplace:studio_payouts")
