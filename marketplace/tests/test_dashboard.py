"""The instructor's earnings dashboard, CSV export and earnings API: figures, access, fixed query counts."""

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import VerifiedUserFactory
from billing.models import ConnectedAccount
from billing.services import apply_checkout_session, refund_payment
from billing.tests.support import CARD_OK, pay
from marketplace.models import InstructorBalance, Sale
from marketplace.services import earnings, payouts, purchases

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db


def sell(course) -> Sale:
    start = purchases.start_course_purchase(VerifiedUserFactory(), course)
    assert pay(start.url, CARD_OK).ok
    return Sale.objects.get(payment=apply_checkout_session(start.payment.stripe_checkout_session_id))


@pytest.fixture
def sold(emulator, instructor):
    """Two courses sold: 19.99 (share 13.99) and 9.99 (share 6.99, then 3.33 refunded: 2.33 reversed)."""
    first = sell(course_with_lessons(instructor=instructor, title="Django from zero"))
    second = sell(course_with_lessons(instructor=instructor, title="Refunded course", price_amount=999))
    refund_payment(second.payment, amount=333, reason="Goodwill")
    earnings.release_sale(first.pk, now=first.available_at)
    return [first, second]


def test_dashboard_shows_sales_split_balances_and_chart(client, instructor, sold):
    client.force_login(instructor)
    response = client.get(reverse("marketplace:studio_earnings"))
    assert response.status_code == 200
    [totals] = response.context["dashboard"].totals
    assert (totals.sales, totals.gross, totals.platform_fee, totals.instructor_share) == (2, 2998, 900, 2098)
    assert (totals.refund_reversals, totals.net) == (233, 1865)
    [balance] = response.context["dashboard"].balances
    assert (balance.pending, balance.available) == (699 - 233, 1399)
    [chart] = response.context["dashboard"].charts
    assert len(chart.bars) == 12 and chart.bars[-1].amount == 2098 and chart.bars[-1].pct == 100
    page = response.content.decode()
    for text in ("<h1>Earnings</h1>", "$29.98", "$9.00", "$20.98", "$18.65", "$13.99", "$4.66", "bar-fill bar-100"):
        assert text in page
    assert "style=" not in page and "<script>" not in page
    assert "for the 30-day refund window" in page
    assert "Payouts are not set up yet" in page and response.context["dashboard"].payouts_enabled is False


def test_dashboard_states_the_configured_refund_window(client, instructor, settings):
    settings.EARNINGS_PENDING_DAYS = 14
    client.force_login(instructor)
    page = client.get(reverse("marketplace:studio_earnings")).content.decode()
    assert "for the 14-day refund window" in page and "30-day" not in page


@pytest.mark.parametrize("extra_sales", [0, 3])
def test_dashboard_query_count_is_fixed(client, instructor, emulator, django_assert_num_queries, extra_sales):
    course = course_with_lessons(instructor=instructor)
    for _ in range(1 + extra_sales):
        sell(course)
    sale = Sale.objects.filter(instructor=instructor).first()
    earnings.release_sale(sale.pk, now=sale.available_at)
    client.force_login(instructor)
    # session, user, sales totals, refund reversals, balances, payouts, monthly chart, connected account
    with django_assert_num_queries(8):
        response = client.get(reverse("marketplace:studio_earnings"))
    assert response.status_code == 200
    assert response.context["dashboard"].totals[0].sales == 1 + extra_sales


def test_sales_csv_has_one_row_per_sale_in_major_units(client, instructor, sold):
    client.force_login(instructor)
    response = client.get(reverse("marketplace:studio_earnings_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:9] == [
        "Date",
        "Receipt",
        "Course",
        "Currency",
        "Gross",
        "Instructor share (%)",
        "Your share",
        "Platform fee",
        "Refunded",
    ]
    body = sorted(rows[1:], key=lambda row: row[2])
    assert [row[2:9] for row in body] == [
        ["Django from zero", "USD", "19.99", "70", "13.99", "6.00", "0.00"],
        ["Refunded course", "USD", "9.99", "70", "6.99", "3.00", "3.33"],
    ]
    assert all(row[1].startswith("LYC-") for row in body)


def test_dashboard_and_csv_are_for_instructors_only(client, learner):
    assert client.get(reverse("marketplace:studio_earnings")).status_code == 302  # to sign in
    client.force_login(learner)
    for name in ("marketplace:studio_earnings", "marketplace:studio_earnings_csv", "marketplace:studio_payouts"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url == reverse("marketplace:apply_to_teach")


def test_payouts_page_lists_payouts(client, emulator, instructor, sold):
    from billing import connect

    account = connect.get_or_create_account(instructor)
    emulator.control.complete_onboarding(account.stripe_account_id)
    connect.refresh_account(account)
    payouts.pay_out_instructors()
    client.force_login(instructor)
    page = client.get(reverse("marketplace:studio_payouts")).content.decode()
    assert "Payouts enabled" in page and "$13.99" in page and "Paid" in page
    dashboard = client.get(reverse("marketplace:studio_earnings"))
    assert dashboard.context["dashboard"].payouts_enabled is True
    assert "Payouts are not set up yet" not in dashboard.content.decode()
    api = APIClient()
    api.force_authenticate(instructor)
    body = api.get(EARNINGS).json()
    assert body["payouts_enabled"] is True
    [payout] = body["recent_payouts"]
    assert (payout["amount"], payout["currency"], payout["status"]) == (1399, "usd", "paid")


def test_payouts_page_says_where_held_money_is(client, emulator, instructor, sold):
    """A payout whose transfer failed holds its money out of available: the page says so, and that it is retried."""
    from billing import connect

    account = connect.get_or_create_account(instructor)
    emulator.control.complete_onboarding(account.stripe_account_id)
    connect.refresh_account(account)
    emulator.control.fault("error", 1, status=500, path="/v1/transfers", method="POST")
    payouts.pay_out_instructors()
    client.force_login(instructor)

    page = client.get(reverse("marketplace:studio_payouts")).content.decode()
    assert "USD: $0.00 available" in page
    assert "$13.99 is held for a payout we could not send yet" in page
    assert "Not sent yet: we try again daily." in page

    # While the account cannot receive, the page does not promise a daily retry.
    ConnectedAccount.objects.filter(pk=account.pk).update(payouts_enabled=False)
    page = client.get(reverse("marketplace:studio_payouts")).content.decode()
    assert "$13.99 is held for a payout that waits for your payout account" in page
    assert "Not sent yet: waits for your payout account." in page and "we try again daily" not in page
    ConnectedAccount.objects.filter(pk=account.pk).update(payouts_enabled=True)

    payouts.pay_out_instructors()  # the next run sends it
    page = client.get(reverse("marketplace:studio_payouts")).content.decode()
    assert "held for a payout" not in page and "Not sent yet" not in page


def test_payouts_page_states_the_minimum_in_each_currency_earned(client, emulator, instructor):
    client.force_login(instructor)
    assert "once they reach" not in client.get(reverse("marketplace:studio_payouts")).content.decode()
    from billing import connect

    account = connect.get_or_create_account(instructor)
    emulator.control.complete_onboarding(account.stripe_account_id)
    connect.refresh_account(account)
    assert "once they reach $10.00." in client.get(reverse("marketplace:studio_payouts")).content.decode()
    for currency in ("usd", "eur"):  # an instructor who also earns in euros
        InstructorBalance.objects.create(instructor=instructor, currency=currency)
    assert "once they reach €10.00 / $10.00." in client.get(reverse("marketplace:studio_payouts")).content.decode()


# API -----------------------------------------------------------------------------------------

EARNINGS = "/api/v1/instructor/earnings/"
SALES = "/api/v1/instructor/sales/"


@pytest.mark.parametrize("url", [EARNINGS, SALES])
def test_api_is_for_instructors_only(url, learner):
    api = APIClient()
    anonymous = api.get(url)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    api.force_authenticate(learner)
    forbidden = api.get(url)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"] == {
        "code": "permission_denied",
        "message": "Only instructors have earnings. Apply to teach first.",
        "fields": {},
    }


def test_earnings_api(instructor, sold):
    api = APIClient()
    api.force_authenticate(instructor)
    body = api.get(EARNINGS).json()
    assert body["payouts_enabled"] is False
    assert body["balances"] == [{"currency": "usd", "pending": 466, "available": 1399, "debt": 0}]
    assert body["totals"] == [
        {
            "currency": "usd",
            "sales": 2,
            "gross": 2998,
            "platform_fee": 900,
            "instructor_share": 2098,
            "refund_reversals": 233,
            "net": 1865,
        }
    ]
    assert body["recent_payouts"] == []


def test_sales_api_lists_only_own_sales(instructor, sold, emulator):
    sell(course_with_lessons())  # another instructor's sale
    api = APIClient()
    api.force_authenticate(instructor)
    body = api.get(SALES).json()
    assert body["count"] == 2
    by_title = {row["course"]["title"]: row for row in body["results"]}
    refunded = by_title["Refunded course"]
    assert (refunded["gross"], refunded["instructor_bps"], refunded["instructor_amount"]) == (999, 7000, 699)
    assert (refunded["platform_amount"], refunded["refunded"], refunded["currency"]) == (300, 333, "usd")


@pytest.mark.parametrize("extra_sales", [0, 3])
def test_api_query_counts_are_fixed(instructor, emulator, django_assert_num_queries, extra_sales):
    course = course_with_lessons(instructor=instructor)
    for _ in range(1 + extra_sales):
        sell(course)
    api = APIClient()
    api.force_authenticate(instructor)
    with django_assert_num_queries(2):  # count + page (with course and payment)
        assert api.get(SALES).json()["count"] == 1 + extra_sales
    # totals, refund reversals, balances, payouts, monthly chart, connected account
    with django_assert_num_queries(6):
        assert api.get(EARNINGS).status_code == 200
