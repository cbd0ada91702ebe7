"""Issue 12: the console home is an operations console: today's figures from known data, each linking to its
list, the dashboards linked, and each staff group sees only what it may use."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import SuperUserFactory, VerifiedUserFactory, staff_in
from billing.models import StripeEvent
from billing.tests.factories import RefundFactory, StripeEventFactory, SucceededPaymentFactory
from marketplace.models import Course, Enrollment, Payout, RefundRequest
from marketplace.tests.factories import CourseFactory, PublishedCourseFactory
from subscriptions.models import Subscription, Tier

pytestmark = pytest.mark.django_db

FIGURES = {
    "revenue_today",
    "refunds_today",
    "failed_webhook_events",
    "new_subscriptions_today",
    "refund_requests_waiting",
    "courses_in_review",
    "payouts_failing",
}
# Who sees which figure: the permission each needs, as the groups hold them (accounts/permission_table.py).
SEEN_BY = {
    "Finance": FIGURES - {"courses_in_review"},
    "Support": {"refunds_today", "failed_webhook_events", "new_subscriptions_today"},
    "Content review": {"courses_in_review"},
    "Sales": set(),
}
DASHBOARDS_SEEN_BY = {
    "Finance": {"Revenue dashboard", "Subscriptions dashboard"},
    "Support": {"Subscriptions dashboard"},
    "Content review": set(),
    "Sales": set(),
}


@pytest.fixture
def known_day(db):
    """Today: $25.00 + $10.00 + €5.00 paid (and $99.00 yesterday), one refund today (one yesterday), two
    failed webhook events, one new subscription (one yesterday, one never completed), one refund request
    waiting (one decided), one course in review, one payout failing (one paid)."""
    now = timezone.now()
    yesterday = now - timedelta(days=1, hours=1)
    SucceededPaymentFactory(amount=2500)
    paid = SucceededPaymentFactory(amount=1000)
    SucceededPaymentFactory(amount=500, currency="eur")
    SucceededPaymentFactory(amount=9900, succeeded_at=yesterday)
    RefundFactory(payment=paid, amount=300)
    old_refund = RefundFactory(amount=200, payment=SucceededPaymentFactory(amount=700, succeeded_at=yesterday))
    type(old_refund).objects.filter(pk=old_refund.pk).update(created_at=yesterday)
    StripeEventFactory(status=StripeEvent.Status.FAILED)
    StripeEventFactory(status=StripeEvent.Status.FAILED)
    StripeEventFactory(status=StripeEvent.Status.SUCCEEDED)

    pro = Tier.objects.get(code="pro")
    for n, status in enumerate(["active", "active", "incomplete"]):
        sub = Subscription.objects.create(
            user=VerifiedUserFactory(), tier=pro, interval="month", status=status, stripe_subscription_id=f"sub_{n}"
        )
        if n == 1:
            Subscription.objects.filter(pk=sub.pk).update(created_at=yesterday)

    course = PublishedCourseFactory()
    for status in ["pending", "declined"]:
        learner = VerifiedUserFactory()
        payment = SucceededPaymentFactory(purpose="course", reference=str(course.pk), succeeded_at=yesterday)
        enrollment = Enrollment.objects.create(user=learner, course=course, source="purchase", payment=payment)
        RefundRequest.objects.create(
            enrollment=enrollment,
            payment=payment,
            user=learner,
            reason="Not for me.",
            status=status,
            decided_at=None if status == "pending" else now,
        )
    CourseFactory(status=Course.Status.IN_REVIEW)
    CourseFactory(status=Course.Status.DRAFT)
    instructor = VerifiedUserFactory(is_instructor=True)
    Payout.objects.create(instructor=instructor, amount=1200, currency="usd", status="failed", stripe_account_id="a")
    Payout.objects.create(
        instructor=instructor,
        amount=800,
        currency="eur",
        status="paid",
        stripe_account_id="a",
        stripe_transfer_id="tr_1",
        paid_at=now,
    )


def figures_on(html: str) -> dict[str, tuple[str, str]]:
    """{key: (value, link)} of the figures on the console home."""
    found = {}
    pattern = (
        r'data-figure="(?P<key>[a-z_]+)">\s*<a href="(?P<url>[^"]+)">'
        r'<span class="console-figure-value">(?P<value>[^<]*)</span>'
    )
    for match in re.finditer(pattern, html):
        found[match["key"]] = (match["value"].strip(), match["url"].replace("&amp;", "&"))
    return found


def test_the_home_shows_todays_figures_from_known_data_each_linking_to_its_list(client, known_day):
    client.force_login(SuperUserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = response.content.decode()
    figures = figures_on(html)
    assert {key: value for key, (value, _url) in figures.items()} == {
        "revenue_today": "€5.00 · $35.00",
        "refunds_today": "1",
        "failed_webhook_events": "2",
        "new_subscriptions_today": "1",
        "refund_requests_waiting": "1",
        "courses_in_review": "1",
        "payouts_failing": "1",
    }
    assert 'href="/admin/billing/payment/revenue/">Revenue dashboard</a>' in html
    assert 'href="/admin/subscriptions/subscription/dashboard/">Subscriptions dashboard</a>' in html

    # Each figure's link opens its list, which shows exactly the rows counted.
    expected_rows = {
        "refunds_today": 1,
        "failed_webhook_events": 2,
        "new_subscriptions_today": 1,
        "refund_requests_waiting": 1,
        "courses_in_review": 1,
        "payouts_failing": 1,
        "revenue_today": 3,
    }
    for key, (_value, url) in figures.items():
        page = client.get(url)
        assert page.status_code == 200, (key, url)
        assert page.context["cl"].result_count == expected_rows[key], (key, url)


@pytest.mark.parametrize("group", sorted(SEEN_BY))
def test_each_staff_group_sees_only_the_figures_and_dashboards_it_may_open(client, known_day, group):
    client.force_login(staff_in(group))
    html = client.get(reverse("admin:index")).content.decode()
    figures = figures_on(html)
    assert set(figures) == SEEN_BY[group]
    for key, (_value, url) in figures.items():
        assert client.get(url).status_code == 200, (group, key)
    dashboards = set(re.findall(r'<a href="[^"]+">([A-Za-z ]+ dashboard)</a>', html))
    assert dashboards == DASHBOARDS_SEEN_BY[group]


def test_the_home_costs_the_same_queries_whatever_the_data(client, django_assert_max_num_queries, known_day):
    client.force_login(SuperUserFactory())
    client.get(reverse("admin:index"))
    with django_assert_max_num_queries(30):
        assert client.get(reverse("admin:index")).status_code == 200
