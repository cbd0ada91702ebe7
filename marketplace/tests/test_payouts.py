"""Payout onboarding and payouts against the emulator: never twice, never to an account that cannot receive."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import VerifiedUserFactory
from billing import connect
from billing.models import ConnectedAccount, Payment
from billing.services import apply_checkout_session, refund_payment
from billing.tests.support import CARD_OK, pay
from marketplace import tasks
from marketplace.models import EarningsEntry, InstructorBalance, Payout, Sale
from marketplace.services import earnings, payouts, purchases

from .factories import course_with_lessons

pytestmark = pytest.mark.django_db


def sell_and_release(instructor, price: int = 1999) -> Sale:
    """A learner buys one of the instructor's courses; its refund window has passed."""
    course = course_with_lessons(instructor=instructor, price_amount=price)
    start = purchases.start_course_purchase(VerifiedUserFactory(), course)
    assert pay(start.url, CARD_OK).ok
    payment = apply_checkout_session(start.payment.stripe_checkout_session_id)
    sale = Sale.objects.get(payment=payment)
    earnings.release_sale(sale.pk, now=sale.available_at)
    return sale


def onboarded(emulator, user) -> ConnectedAccount:
    account = connect.get_or_create_account(user)
    emulator.control.complete_onboarding(account.stripe_account_id)
    account = connect.refresh_account(account)
    assert account.can_receive_payouts
    return account


def transfers(emulator, account: ConnectedAccount) -> list:
    return list(emulator.stripe_client().v1.transfers.list(params={"destination": account.stripe_account_id}).data)


def balance_of(instructor) -> InstructorBalance:
    return InstructorBalance.objects.get(instructor=instructor, currency="usd")


def payout_emails(mailoutbox, instructor) -> list:
    return [m for m in mailoutbox if m.to == [instructor.email] and m.subject.startswith("Lyceum sent you")]


def test_available_balance_is_paid_out_once(emulator, instructor, mailoutbox, django_capture_on_commit_callbacks):
    sell_and_release(instructor)
    account = onboarded(emulator, instructor)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.pay_out_instructors.delay().get() == "1 paid, 0 failed, 0 skipped"

    payout = Payout.objects.get()
    assert (payout.status, payout.amount, payout.currency, payout.attempts) == ("paid", 1399, "usd", 1)
    [transfer] = transfers(emulator, account)
    assert (transfer.id, transfer.amount, transfer.metadata["payout_id"], transfer.transfer_group) == (
        payout.stripe_transfer_id,
        1399,
        str(payout.pk),
        f"payout-{payout.pk}",
    )
    assert balance_of(instructor).available == 0
    assert EarningsEntry.objects.get(kind="payout").amount == -1399

    [email] = payout_emails(mailoutbox, instructor)
    assert email.subject == "Lyceum sent you $13.99"
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "$13.99" in body and payout.stripe_transfer_id in body and "/studio/payouts/" in body

    with django_capture_on_commit_callbacks(execute=True):
        assert payouts.pay_out_instructors().summary() == "0 paid, 0 failed, 0 skipped"
    assert Payout.objects.count() == 1 and len(transfers(emulator, account)) == 1
    assert earnings.verify_balances()[1] == []
    assert len(payout_emails(mailoutbox, instructor)) == 1  # nothing new paid, nothing new said


def test_nothing_goes_to_an_account_that_cannot_receive(emulator, instructor):
    sell_and_release(instructor)
    # No account at all, then an account whose onboarding is unfinished.
    assert payouts.pay_out_instructors().skipped == [instructor.pk]
    account = connect.get_or_create_account(instructor)
    assert not account.can_receive_payouts
    assert payouts.pay_out_instructors().skipped == [instructor.pk]
    assert not Payout.objects.exists()
    assert not EarningsEntry.objects.filter(kind="payout").exists()
    assert balance_of(instructor).available == 1399
    assert transfers(emulator, account) == []


def test_balances_below_the_minimum_wait(emulator, instructor, settings):
    settings.PAYOUT_MINIMUM_CENTS = 2000
    sell_and_release(instructor)
    onboarded(emulator, instructor)
    assert payouts.pay_out_instructors().summary() == "0 paid, 0 failed, 0 skipped"
    assert not Payout.objects.exists()
    sell_and_release(instructor)  # 1399 + 1399 reaches the minimum
    payouts.pay_out_instructors()
    assert Payout.objects.get().amount == 2798


def test_a_mail_server_that_refuses_never_stops_the_payout_run(
    emulator, instructor, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from marketplace import emails

    from .factories import InstructorFactory

    other = InstructorFactory()
    for person in (instructor, other):
        sell_and_release(person)
        onboarded(emulator, person)

    def refuse(message, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(emails.EmailMultiAlternatives, "send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run = payouts.pay_out_instructors()

    assert len(run.paid) == 2 and run.failed == []
    assert sorted(Payout.objects.values_list("status", flat=True)) == ["paid", "paid"]
    assert "smtp down" in caplog.text  # logged with its traceback, not swallowed


def test_stripe_failure_marks_the_payout_failed_and_the_next_run_retries_it(
    emulator, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    sell_and_release(instructor)
    account = onboarded(emulator, instructor)
    emulator.control.fault("error", 1, status=500, path="/v1/transfers", method="POST")

    with django_capture_on_commit_callbacks(execute=True):
        run = payouts.pay_out_instructors()
    payout = Payout.objects.get()
    assert run.failed == [payout.pk]
    assert (payout.status, payout.attempts) == ("failed", 1)
    assert "payment provider" in payout.last_error
    assert transfers(emulator, account) == []
    # The money stays with the failed payout (not paid, not available to a second payout).
    assert balance_of(instructor).available == 0
    assert payout_emails(mailoutbox, instructor) == []  # no "we sent you" for money that did not go

    with django_capture_on_commit_callbacks(execute=True):
        run = payouts.pay_out_instructors()
    payout.refresh_from_db()
    assert run.paid == [payout.pk]
    assert (payout.status, payout.attempts, payout.last_error) == ("paid", 2, "")
    assert len(transfers(emulator, account)) == 1 and Payout.objects.count() == 1
    assert len(payout_emails(mailoutbox, instructor)) == 1


def test_a_transfer_whose_answer_was_lost_is_found_and_recorded_never_sent_twice(emulator, instructor):
    sell_and_release(instructor)
    account = onboarded(emulator, instructor)
    emulator.control.fault("error", 1, status=500, path="/v1/transfers", method="POST")
    payouts.pay_out_instructors()
    payout = Payout.objects.get()
    assert (payout.status, payout.attempts) == ("failed", 1)
    # Stripe made the transfer but the answer never reached us (the emulator has no fault that drops an
    # answer after acting, so the transfer is made directly, as that attempt would have made it).
    made = emulator.stripe_client().v1.transfers.create(
        params={
            "amount": payout.amount,
            "currency": "usd",
            "destination": account.stripe_account_id,
            "transfer_group": f"payout-{payout.pk}",
        }
    )

    run = payouts.pay_out_instructors()
    payout.refresh_from_db()
    assert run.paid == [payout.pk]
    assert (payout.status, payout.stripe_transfer_id, payout.attempts, payout.last_error) == ("paid", made.id, 2, "")
    assert [t.id for t in transfers(emulator, account)] == [made.id]  # found, not sent again
    assert payouts.pay_out_instructors().summary() == "0 paid, 0 failed, 0 skipped"
    assert len(transfers(emulator, account)) == 1
    assert earnings.verify_balances()[1] == []


def test_a_retry_after_a_refused_transfer_really_sends_again(emulator, instructor):
    """Stripe replays a stored error to a reused idempotency key: each attempt has a key of its own."""
    sell_and_release(instructor)
    # Our record says the account can receive, Stripe does not agree yet: Stripe refuses the transfer (400).
    account = connect.get_or_create_account(instructor)
    ConnectedAccount.objects.filter(pk=account.pk).update(details_submitted=True, payouts_enabled=True)
    run = payouts.pay_out_instructors()
    payout = Payout.objects.get()
    assert run.failed == [payout.pk]
    assert (payout.status, payout.attempts) == ("failed", 1)
    assert "cannot receive transfers" in payout.last_error
    assert transfers(emulator, account) == []

    emulator.control.complete_onboarding(account.stripe_account_id)  # Stripe now accepts the transfer
    run = payouts.pay_out_instructors()
    payout.refresh_from_db()
    assert run.paid == [payout.pk]
    assert (payout.status, payout.attempts, payout.last_error) == ("paid", 2, "")
    [transfer] = transfers(emulator, account)
    assert (transfer.id, transfer.amount) == (payout.stripe_transfer_id, 1399)


def test_a_run_reads_each_connected_account_once(emulator, instructor):
    sell_and_release(instructor)
    onboarded(emulator, instructor)
    with CaptureQueriesContext(connection) as queries:
        assert payouts.pay_out_instructors().summary() == "1 paid, 0 failed, 0 skipped"
    account_reads = [q["sql"] for q in queries.captured_queries if 'FROM "billing_connectedaccount"' in q["sql"]]
    assert len(account_reads) == 1


def test_admin_retry_and_cancel_actions_call_the_services(emulator, instructor, superuser, client):
    sell_and_release(instructor)
    account = onboarded(emulator, instructor)
    emulator.control.fault("error", 2, status=500, path="/v1/transfers", method="POST")
    payouts.pay_out_instructors()
    payout = Payout.objects.get(status="failed")
    client.force_login(superuser)
    changelist = reverse("admin:marketplace_payout_changelist")
    assert client.get(changelist).status_code == 200

    response = client.post(changelist, {"action": "retry", "_selected_action": [payout.pk]}, follow=True)
    payout.refresh_from_db()
    assert (payout.status, payout.attempts) == ("failed", 2)
    assert "failed again" in response.content.decode()

    client.post(changelist, {"action": "cancel", "_selected_action": [payout.pk]})
    payout.refresh_from_db()
    assert payout.status == "canceled"
    assert EarningsEntry.objects.get(kind="payout_reversal").amount == 1399
    assert balance_of(instructor).available == 1399
    assert transfers(emulator, account) == []

    # The next run pays the returned money with a new payout (a new idempotency key).
    payouts.pay_out_instructors()
    new = Payout.objects.get(status="paid")
    assert new.pk != payout.pk and len(transfers(emulator, account)) == 1
    assert earnings.verify_balances()[1] == []


def test_refund_after_payout_becomes_debt_repaid_by_the_next_sale(emulator, instructor, staff_user):
    sale = sell_and_release(instructor)
    onboarded(emulator, instructor)
    payouts.pay_out_instructors()
    refund_payment(Payment.objects.get(pk=sale.payment_id), amount=None, reason="Refund", requested_by=staff_user)
    balance = balance_of(instructor)
    assert (balance.available, balance.debt) == (0, 1399)

    sell_and_release(instructor, price=2999)  # share 2099
    balance = balance_of(instructor)
    assert (balance.available, balance.debt) == (2099 - 1399, 0)
    assert earnings.verify_balances()[1] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_pay_out_once(emulator, instructor, mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    sell_and_release(instructor)
    account = onboarded(emulator, instructor)
    barrier = threading.Barrier(5)
    errors = []

    def run():
        try:
            barrier.wait()
            payouts.pay_out_instructors()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Payout.objects.count() == 1 and Payout.objects.get().status == "paid"
    assert len(transfers(emulator, account)) == 1
    assert balance_of(instructor).available == 0
    assert earnings.verify_balances()[1] == []
    assert len(payout_emails(mailoutbox, instructor)) == 1


# Onboarding ---------------------------------------------------------------------------------


def test_onboarding_page_sends_the_instructor_to_stripe_and_back(emulator, client, instructor):
    client.force_login(instructor)
    page = client.get(reverse("marketplace:studio_payouts"))
    assert page.status_code == 200
    assert "Set up payouts" in page.content.decode()

    response = client.post(reverse("marketplace:studio_payouts_onboard"))
    assert response.status_code == 302 and response.url.startswith(emulator.url)
    account = ConnectedAccount.objects.get(user=instructor)
    assert not account.can_receive_payouts
    # A second click reuses the account.
    client.post(reverse("marketplace:studio_payouts_onboard"))
    assert ConnectedAccount.objects.filter(user=instructor).count() == 1

    emulator.control.complete_onboarding(account.stripe_account_id)
    back = client.get(reverse("marketplace:studio_payouts_return"), follow=True)
    assert "Your payout account is ready" in back.content.decode()
    assert "Payouts enabled" in back.content.decode()
    assert ConnectedAccount.objects.get(user=instructor).can_receive_payouts


def test_the_refresh_link_never_creates_an_account(emulator, client, instructor):
    client.force_login(instructor)
    response = client.get(reverse("marketplace:studio_payouts_refresh"))
    assert response.status_code == 302 and response.url == reverse("marketplace:studio_payouts")
    assert not ConnectedAccount.objects.exists()
    assert emulator.stripe_client().v1.accounts.list().data == []

    # With an account (made by the POST), the refresh link issues a new onboarding link for it.
    client.post(reverse("marketplace:studio_payouts_onboard"))
    account = ConnectedAccount.objects.get(user=instructor)
    response = client.get(reverse("marketplace:studio_payouts_refresh"))
    assert response.status_code == 302
    assert response.url.startswith(f"{emulator.url}/connect/onboarding/{account.stripe_account_id}/")
    assert ConnectedAccount.objects.count() == 1


def test_onboarding_is_for_instructors_only(emulator, client, learner):
    client.force_login(learner)
    response = client.post(reverse("marketplace:studio_payouts_onboard"))
    assert response.status_code == 302 and response.url == reverse("marketplace:apply_to_teach")
    assert not ConnectedAccount.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_account_updated_webhook_refreshes_the_account(stripe_webhooks, instructor):
    account = connect.get_or_create_account(instructor)
    stripe_webhooks.deliver()
    stripe_webhooks.hold()
    stripe_webhooks.control.complete_onboarding(account.stripe_account_id)
    deliveries = stripe_webhooks.deliver()
    assert "account.updated" in [d["type"] for d in deliveries]
    account.refresh_from_db()
    assert account.payouts_enabled and account.details_submitted


def test_finance_posts_a_ledger_correction_from_the_console(emulator, instructor, client, staff_user):
    from django.contrib.auth.models import Group

    sell_and_release(instructor)  # 13.99 available
    balance = balance_of(instructor)
    changelist = reverse("admin:marketplace_instructorbalance_changelist")
    client.force_login(staff_user)  # staff without the Finance role: no such action
    assert "Post a correction" not in client.get(changelist).content.decode()

    staff_user.groups.add(Group.objects.get(name="Finance"))
    client.force_login(staff_user)
    form = client.post(changelist, {"action": "correct", "_selected_action": [balance.pk]})
    assert form.status_code == 200 and "Post a ledger correction" in form.content.decode()
    key = form.context["form"].initial["key"]
    fields = {"action": "correct", "_selected_action": [balance.pk], "apply": "1", "key": key}

    bad = client.post(
        changelist,
        {**fields, "direction": "credit", "amount": "1.234", "bucket": "available", "note": "Goodwill"},
        follow=True,
    )
    assert "at most 2 decimals" in bad.content.decode()
    too_much = {**fields, "direction": "debit", "amount": "99.00", "bucket": "pending", "note": "Clawback"}
    assert "cannot go below zero" in client.post(changelist, too_much, follow=True).content.decode()
    assert not EarningsEntry.objects.filter(kind="correction").exists()

    good = {
        **fields,
        "direction": "credit",
        "amount": "2.50",
        "bucket": "available",
        "note": "Goodwill for a broken video",
    }
    done = client.post(changelist, good, follow=True).content.decode()
    assert "Correction of $2.50 posted" in done
    again = client.post(changelist, good, follow=True).content.decode()  # the same form submitted twice
    assert "already posted" in again
    entry = EarningsEntry.objects.get(kind="correction")
    assert (entry.amount, entry.bucket, entry.created_by, entry.note) == (
        250,
        "available",
        staff_user,
        "Goodwill for a broken video",
    )
    assert balance_of(instructor).available == 1399 + 250
    assert earnings.verify_balances()[1] == []
