"""The instructor earnings ledger: exact splits, sales recorded once, the refund window, refund reversals."""

import io
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from billing.models import Payment
from billing.money import bps_as_percent, format_bps, major_units, split
from billing.services import apply_checkout_session, refund_payment
from billing.tests.support import CARD_OK, pay
from config.errors import DomainError
from marketplace import tasks
from marketplace.models import EarningsEntry, InstructorBalance, RevenueShareRule, Sale
from marketplace.services import earnings, purchases
from subscriptions.interface import grant_entitlement
from subscriptions.models import Entitlement

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db


def buy(learner, course) -> Payment:
    """Pay for the course in the emulator and apply it as the return from Checkout does (no webhooks)."""
    start = purchases.start_course_purchase(learner, course)
    assert pay(start.url, CARD_OK).ok
    return apply_checkout_session(start.payment.stripe_checkout_session_id)


def balance_of(instructor, currency="usd") -> InstructorBalance:
    return InstructorBalance.objects.get(instructor=instructor, currency=currency)


def assert_ledger_consistent():
    checked, mismatches = earnings.verify_balances()
    assert checked and mismatches == []


# The split ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gross", "bps", "instructor", "platform"),
    [
        (999, 7000, 699, 300),
        (1, 7000, 0, 1),
        (333, 7000, 233, 100),
        (999, 7500, 749, 250),
        (1, 7500, 0, 1),
        (333, 7500, 249, 84),
    ],
)
def test_split_is_exact_for_awkward_amounts(gross, bps, instructor, platform):
    assert split(gross, bps) == (instructor, platform)
    assert instructor + platform == gross


@pytest.mark.parametrize(
    ("bps", "text"),
    [(7000, "70%"), (7550, "75.5%"), (7525, "75.25%"), (3000, "30%"), (1, "0.01%"), (0, "0%"), (10_000, "100%")],
)
def test_basis_points_are_formatted_exactly(bps, text):
    assert format_bps(bps) == text
    assert bps_as_percent(bps) == text.removesuffix("%")


def test_major_units_for_spreadsheets():
    assert (major_units(1999, "usd"), major_units(123456, "eur"), major_units(500, "jpy")) == (
        "19.99",
        "1234.56",
        "500",
    )
    assert major_units(-5, "usd") == "-0.05"


def test_rules_sales_and_entries_read_as_money_and_percentages(emulator, learner, course, staff_user):
    rule = RevenueShareRule.objects.get(code="default")
    assert str(rule) == "Default (70% to the instructor)"
    sale = Sale.objects.get(payment=buy(learner, course))
    assert str(sale) == f"{course} sold for $19.99"
    assert str(EarningsEntry.objects.get(kind="sale")) == "Sale $13.99 (pending)"
    refund_payment(sale.payment, amount=500, reason="Goodwill", requested_by=staff_user)
    reversal = EarningsEntry.objects.get(kind="refund_reversal")
    assert reversal.note == "Refund of $5.00 of $19.99"
    assert str(reversal) == "Refund reversal -$3.49 (pending)"


def test_no_active_default_rule_is_a_clear_error(instructor):
    RevenueShareRule.objects.update(is_active=False)
    with pytest.raises(DomainError) as caught:
        earnings.share_rule_for(instructor)
    assert caught.value.code == "no_share_rule"


def test_seeded_rules_are_70_30_and_75_25_for_enterprise():
    rules = {rule.code: rule for rule in RevenueShareRule.objects.all()}
    assert (rules["default"].tier_code, rules["default"].instructor_bps) == ("", 7000)
    assert (rules["enterprise"].tier_code, rules["enterprise"].instructor_bps) == ("enterprise", 7500)


def test_enterprise_instructors_get_75_percent(emulator, learner, instructor):
    course = course_with_lessons(instructor=instructor, price_amount=999)
    assert earnings.share_rule_for(instructor).code == "default"
    first = Sale.objects.get(payment=buy(learner, course))
    assert (first.instructor_bps, first.instructor_amount, first.platform_amount) == (7000, 699, 300)

    grant_entitlement(instructor, "enterprise", Entitlement.Source.STAFF_GRANT, reason="test", reference="t")
    assert earnings.share_rule_for(instructor).code == "enterprise"
    second = Sale.objects.get(payment=buy(_learner(), course))
    assert (second.instructor_bps, second.instructor_amount, second.platform_amount) == (7500, 749, 250)
    # The first sale's split was frozen: it does not follow the instructor's new tier.
    first.refresh_from_db()
    assert (first.instructor_bps, first.instructor_amount) == (7000, 699)
    assert balance_of(instructor).pending == 699 + 749
    assert_ledger_consistent()


def _learner():
    from accounts.tests.factories import VerifiedUserFactory

    return VerifiedUserFactory()


def test_rule_edits_apply_to_later_sales_only(emulator, learner, instructor):
    course = course_with_lessons(instructor=instructor, price_amount=1000)
    before = Sale.objects.get(payment=buy(learner, course))
    RevenueShareRule.objects.filter(code="default").update(instructor_bps=8000)
    after = Sale.objects.get(payment=buy(_learner(), course))
    before.refresh_from_db()
    assert (before.instructor_amount, after.instructor_amount) == (700, 800)


def test_record_sale_is_idempotent_and_unique_per_payment(emulator, learner, course):
    payment = buy(learner, course)
    sale = Sale.objects.get(payment=payment)
    assert earnings.record_sale(payment, course).pk == sale.pk
    assert Sale.objects.filter(payment=payment).count() == 1
    assert EarningsEntry.objects.filter(sale=sale).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Sale.objects.create(
            payment=payment,
            course=course,
            instructor=course.instructor,
            gross=1999,
            currency="usd",
            rule_code="default",
            instructor_bps=7000,
            instructor_amount=1399,
            platform_amount=600,
            available_at=sale.available_at,
            created_at=sale.created_at,
        )


def test_sale_parts_must_add_up_in_the_database(emulator, learner, course):
    sale = Sale.objects.get(payment=buy(learner, course))
    with pytest.raises(IntegrityError), transaction.atomic():
        Sale.objects.filter(pk=sale.pk).update(platform_amount=sale.platform_amount + 1)


@pytest.mark.django_db(transaction=True)
def test_duplicated_webhooks_record_the_sale_once(stripe_webhooks, learner):
    course = course_with_lessons()
    start = purchases.start_course_purchase(learner, course)
    stripe_webhooks.duplicate()
    assert pay(start.url, CARD_OK).ok
    deliveries = stripe_webhooks.deliver()
    assert len([d for d in deliveries if d["type"] == "checkout.session.completed"]) >= 2

    sale = Sale.objects.get(payment_id=start.payment.pk)
    assert (sale.gross, sale.instructor_amount, sale.platform_amount) == (1999, 1399, 600)
    assert Sale.objects.count() == 1
    assert list(EarningsEntry.objects.values_list("kind", "bucket", "amount")) == [("sale", "pending", 1399)]
    balance = balance_of(course.instructor)
    assert (balance.pending, balance.available) == (1399, 0)


# The refund window -------------------------------------------------------------------------


def test_share_becomes_available_after_30_days_and_not_a_day_before(emulator, learner, course):
    sale = Sale.objects.get(payment=buy(learner, course))
    assert sale.available_at - sale.created_at == timedelta(days=30)

    with time_machine.travel(sale.created_at + timedelta(days=29), tick=False):
        assert tasks.release_matured_earnings.delay().get() == "0 sales released"
    balance = balance_of(course.instructor)
    assert (balance.pending, balance.available) == (1399, 0)

    with time_machine.travel(sale.created_at + timedelta(days=30, seconds=1), tick=False):
        assert tasks.release_matured_earnings.delay().get() == "1 sales released"
        assert earnings.release_matured_earnings() == 0  # idempotent: nothing left to release
    balance = balance_of(course.instructor)
    assert (balance.pending, balance.available) == (0, 1399)
    sale.refresh_from_db()
    assert sale.released_at is not None
    assert sorted(EarningsEntry.objects.filter(kind="release").values_list("bucket", "amount")) == [
        ("available", 1399),
        ("pending", -1399),
    ]
    assert earnings.release_sale(sale.pk, now=sale.available_at + timedelta(days=1)) is False  # already released
    assert EarningsEntry.objects.filter(kind="release").count() == 2
    assert_ledger_consistent()


def test_a_sale_is_not_released_before_its_window_ends(emulator, learner, course):
    sale = Sale.objects.get(payment=buy(learner, course))
    assert earnings.release_sale(sale.pk, now=sale.available_at - timedelta(seconds=1)) is False
    assert earnings.release_sale(sale.pk, now=sale.available_at) is True
    assert balance_of(course.instructor).available == 1399


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_release_runs_count_each_sale_once(emulator, instructor):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    course = course_with_lessons(instructor=instructor, price_amount=1000)
    sales = [Sale.objects.get(payment=buy(_learner(), course)) for _ in range(3)]
    now = max(sale.available_at for sale in sales)
    barrier = threading.Barrier(4)
    counts, errors = [], []

    def run():
        try:
            barrier.wait()
            counts.append(earnings.release_matured_earnings(now=now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(counts) == 3  # each sale counted by the one run that released it
    balance = balance_of(instructor)
    assert (balance.pending, balance.available) == (0, 3 * 700)
    assert EarningsEntry.objects.filter(kind="release").count() == 6
    assert_ledger_consistent()


# Refund reversals --------------------------------------------------------------------------


def test_partial_then_full_refund_reverse_the_share_in_proportion(emulator, learner, instructor, staff_user):
    course = course_with_lessons(instructor=instructor, price_amount=999)
    payment = buy(learner, course)
    refund_payment(payment, amount=333, reason="Goodwill", requested_by=staff_user)
    reversal = EarningsEntry.objects.get(kind="refund_reversal")
    assert (reversal.amount, reversal.bucket, reversal.idempotency_key) == (
        -233,
        "pending",
        f"refund:{reversal.refund_id}",
    )
    assert balance_of(instructor).pending == 699 - 233

    refund_payment(Payment.objects.get(pk=payment.pk), amount=None, reason="Changed mind", requested_by=staff_user)
    reversals = list(
        EarningsEntry.objects.filter(kind="refund_reversal").order_by("pk").values_list("amount", flat=True)
    )
    assert reversals == [-233, -466]
    assert sum(reversals) == -699  # a full refund takes back exactly the whole share
    assert balance_of(instructor).pending == 0
    assert_ledger_consistent()


def test_many_small_refunds_leave_no_cent_behind(emulator, learner, instructor, staff_user):
    course = course_with_lessons(instructor=instructor, price_amount=999)
    payment = buy(learner, course)
    for amount in (1, 1, None):
        refund_payment(Payment.objects.get(pk=payment.pk), amount=amount, reason="Bit by bit", requested_by=staff_user)
    # 1/999 of 699 rounds to 0 (no entry), 2/999 to 1, and the rest completes the share.
    amounts = list(EarningsEntry.objects.filter(kind="refund_reversal").order_by("pk").values_list("amount", flat=True))
    assert amounts == [-1, -698]
    assert balance_of(instructor).pending == 0


def test_revoke_is_idempotent_per_refund(emulator, learner, course, staff_user):
    payment = buy(learner, course)
    refund = refund_payment(payment, amount=1000, reason="Goodwill", requested_by=staff_user)
    purchases.revoke_course_payment(Payment.objects.get(pk=payment.pk), refund)  # a replayed revoke
    assert EarningsEntry.objects.filter(kind="refund_reversal").count() == 1
    assert balance_of(course.instructor).pending == 1399 - 1399 * 1000 // 1999


def test_refund_after_release_comes_out_of_available(emulator, learner, course, staff_user):
    sale = Sale.objects.get(payment=buy(learner, course))
    earnings.release_matured_earnings(now=sale.available_at)
    refund_payment(sale.payment, amount=None, reason="Late refund", requested_by=staff_user)
    entry = EarningsEntry.objects.get(kind="refund_reversal")
    assert (entry.bucket, entry.amount) == ("available", -1399)
    balance = balance_of(course.instructor)
    assert (balance.pending, balance.available, balance.debt) == (0, 0, 0)
    assert_ledger_consistent()


# Verification and corrections --------------------------------------------------------------


def test_verify_earnings_command_fails_on_a_mismatch(emulator, learner, course, staff_user):
    buy(learner, course)
    out = io.StringIO()
    call_command("verify_earnings", stdout=out)
    assert "All 1 balances match" in out.getvalue()

    InstructorBalance.objects.filter(instructor=course.instructor).update(pending=5)  # tampering
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 balances do not match"):
        call_command("verify_earnings", stderr=err)
    assert "pending 5 vs entries 1399" in err.getvalue()

    InstructorBalance.objects.filter(instructor=course.instructor).update(pending=1399)
    earnings.post_correction(
        course.instructor, currency="usd", amount=-100, note="Chargeback fee", key="cb-1", by=staff_user
    )
    call_command("verify_earnings", stdout=io.StringIO())
    balance = balance_of(course.instructor)
    assert (balance.available, balance.debt) == (0, 100)  # available never goes negative


def test_balance_check_constraint_forbids_negative_available(emulator, learner, course):
    buy(learner, course)
    with pytest.raises(IntegrityError), transaction.atomic():
        InstructorBalance.objects.filter(instructor=course.instructor).update(available=-1)
