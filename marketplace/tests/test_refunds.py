"""Course refunds against the Stripe emulator: the 30-day / 30% policy, staff decisions, refusals, races."""

import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import sync_staff_groups
from accounts.tests.factories import StaffUserFactory, VerifiedUserFactory
from billing.errors import PaymentProviderUnavailable
from billing.models import Payment, Refund
from billing.services import apply_checkout_session
from billing.tests.support import CARD_OK, pay
from config.errors import ConflictError, DomainError, NotFoundError
from marketplace import access
from marketplace.models import Enrollment, Lesson, LessonProgress, RefundRequest
from marketplace.services import purchases, refunds

from .factories import EnrollmentFactory, course_with_lessons

pytestmark = pytest.mark.django_db


def buy(user, course=None) -> Enrollment:
    """Pay for a course in the emulator's hosted Checkout and apply the session (billing's return path)."""
    course = course or course_with_lessons()  # 2 modules × 2 lessons, $19.99
    start = purchases.start_course_purchase(user, course)
    assert pay(start.url, CARD_OK).ok
    apply_checkout_session(start.payment.stripe_checkout_session_id)
    enrollment = Enrollment.objects.select_related("payment", "course").get(user=user, course=course)
    assert enrollment.source == Enrollment.Source.PURCHASE and enrollment.payment.is_paid
    return enrollment


def stripe_refunds(emulator, payment: Payment) -> list:
    payment = Payment.objects.get(pk=payment.pk)
    return list(
        emulator.stripe_client().v1.refunds.list(params={"payment_intent": payment.stripe_payment_intent_id}).data
    )


def complete(user, course, count: int) -> None:
    for lesson in Lesson.objects.filter(course=course).order_by("module__order", "order")[:count]:
        LessonProgress.objects.create(user=user, lesson=lesson, course=course, completed_at=timezone.now())


@pytest.fixture
def finance_user(db):
    sync_staff_groups()
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name="Finance"))
    return user


# Inside the policy: refunded at once -------------------------------------------------------


def test_inside_policy_refunds_in_stripe_and_ends_access(emulator, learner, django_capture_on_commit_callbacks):
    enrollment = buy(learner)
    course = enrollment.course
    complete(learner, course, 1)  # 1 of 4 = 25%
    assert access.course_access(learner, course).allowed

    with django_capture_on_commit_callbacks(execute=True):
        outcome = refunds.request_refund(learner, enrollment, reason="Not what I expected")

    assert outcome.refunded and outcome.request is None
    remote = stripe_refunds(emulator, enrollment.payment)
    assert [(r.amount, r.status) for r in remote] == [(1999, "succeeded")]
    refund = Refund.objects.get(payment=enrollment.payment)
    assert (refund.source, refund.status, refund.requested_by_id) == (Refund.Source.POLICY, "succeeded", learner.pk)
    assert Payment.objects.get(pk=enrollment.payment_id).status == Payment.Status.REFUNDED
    enrollment.refresh_from_db()
    assert enrollment.revoked_at is not None
    assert not access.course_access(learner, course).allowed
    assert not RefundRequest.objects.exists()
    assert f"Your refund for {enrollment.payment.description}" in [m.subject for m in mail.outbox]

    # A second click finds the enrolment ended: refused, nothing refunded twice.
    with pytest.raises(ConflictError, match="already ended"):
        refunds.request_refund(learner, enrollment, reason="Again")
    assert len(stripe_refunds(emulator, enrollment.payment)) == 1


def test_exactly_thirty_percent_is_inside_more_is_outside(emulator, learner):
    course = course_with_lessons(modules=1, lessons=10)
    enrollment = buy(learner, course)
    complete(learner, course, 3)
    assert refunds.check_policy(enrollment).within_policy
    complete_more = Lesson.objects.filter(course=course).exclude(progress__user=learner).first()
    LessonProgress.objects.create(user=learner, lesson=complete_more, course=course, completed_at=timezone.now())
    check = refunds.check_policy(enrollment)
    assert not check.within_policy
    assert check.problems == (
        "You have completed 4 of 10 lessons; refunds are automatic only before you complete more than 30% of a course.",
    )


def test_refund_page_explains_policy_and_refunds_on_confirm(client, emulator, learner):
    enrollment = buy(learner)
    client.force_login(learner)
    learning_page = client.get(reverse("marketplace:my_learning")).content.decode()
    url = reverse("marketplace:request_refund", args=[enrollment.pk])
    assert url in learning_page and "Request a refund" in learning_page

    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Our refund policy" in html and "no more than 30 days ago" in html and "no more than 30%" in html
    assert "inside the policy" in html and "Confirm the refund" in html
    assert '<label for="id_reason">' in html and "style=" not in html
    assert "<dt>Bought</dt><dd>less than a day ago</dd>" in html  # not "0 days ago"

    empty = client.post(url, {"reason": ""})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    assert not Refund.objects.exists()

    response = client.post(url, {"reason": "Changed my mind"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("marketplace:my_learning")
    assert "has been issued. It usually reaches your card within 5–10 business days." in response.content.decode()
    assert [r.status for r in stripe_refunds(emulator, enrollment.payment)] == ["succeeded"]
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is not None

    # The page now refuses, with the reason.
    again = client.get(url)
    assert again.status_code == 409 and "already ended" in again.content.decode()


# Outside the policy: staff decide ----------------------------------------------------------


def test_day_31_goes_to_staff_and_learner_keeps_access(emulator, learner, django_capture_on_commit_callbacks):
    enrollment = buy(learner)
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        with django_capture_on_commit_callbacks(execute=True):
            outcome = refunds.request_refund(learner, enrollment, reason="I had no time")

    assert not outcome.refunded
    request = outcome.request
    assert (request.status, request.user_id, request.payment_id) == ("pending", learner.pk, enrollment.payment_id)
    assert "31 days ago" in request.policy_note and "31 days ago" in outcome.message
    assert stripe_refunds(emulator, enrollment.payment) == []
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is None
    assert access.course_access(learner, enrollment.course).allowed
    assert f"We received your refund request for “{enrollment.course.title}”" in [m.subject for m in mail.outbox]

    # One open request per enrolment.
    with pytest.raises(ConflictError, match="already asked"):
        refunds.request_refund(learner, enrollment, reason="Please")
    assert RefundRequest.objects.count() == 1


def test_more_than_thirty_percent_goes_to_staff(emulator, learner):
    enrollment = buy(learner)
    complete(learner, enrollment.course, 2)  # 2 of 4 = 50%
    outcome = refunds.request_refund(learner, enrollment, reason="Too basic")
    assert not outcome.refunded
    assert "completed 2 of 4 lessons" in outcome.request.policy_note
    assert stripe_refunds(emulator, enrollment.payment) == []


def test_my_learning_lists_recent_refunds_until_the_course_is_bought_again(client, emulator, learner):
    first, second = buy(learner), buy(learner)
    refunds.request_refund(learner, first, reason="Not for me")
    client.force_login(learner)
    page = client.get(reverse("marketplace:my_learning")).content.decode()
    assert '<h2 id="refunded-heading">Refunded</h2>' in page
    assert f"{first.course.title}</a>: $19.99 refunded on" in page and reverse("billing:payment_history") in page
    assert f"{second.course.title}</a>: $19.99 refunded" not in page  # still enrolled, not refunded

    again = purchases.start_course_purchase(learner, first.course)  # bought again: back in the list
    assert pay(again.url, CARD_OK).ok
    apply_checkout_session(again.payment.stripe_checkout_session_id)
    assert "refunded-heading" not in client.get(reverse("marketplace:my_learning")).content.decode()

    Enrollment.objects.filter(course=first.course, revoked_at__isnull=True).update(revoked_at=timezone.now())
    Enrollment.objects.filter(course=first.course).update(revoked_at=timezone.now() - timedelta(days=91))
    assert "refunded-heading" not in client.get(reverse("marketplace:my_learning")).content.decode()  # long ago


def pending_request(learner) -> tuple[Enrollment, RefundRequest]:
    """A purchase outside the policy (3 of 4 lessons done) whose refund request waits for Finance."""
    enrollment = buy(learner)
    complete(learner, enrollment.course, 3)
    request = refunds.request_refund(learner, enrollment, reason="The videos do not play").request
    mail.outbox.clear()
    return enrollment, request


def test_staff_approve_in_admin_refunds(client, emulator, learner, finance_user, django_capture_on_commit_callbacks):
    enrollment, request = pending_request(learner)

    client.force_login(finance_user)
    changelist = reverse("admin:marketplace_refundrequest_changelist")
    listing = client.get(changelist)
    assert listing.status_code == 200 and enrollment.course.title in listing.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "approve", "_selected_action": [request.pk]}, follow=True)
    assert "1 request(s) approved and refunded." in response.content.decode()

    request.refresh_from_db()
    assert (request.status, request.decided_by_id) == ("approved", finance_user.pk) and request.decided_at
    assert [(r.amount, r.status) for r in stripe_refunds(emulator, enrollment.payment)] == [(1999, "succeeded")]
    assert Refund.objects.get(payment=enrollment.payment).source == Refund.Source.STAFF
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is not None
    assert not access.course_access(learner, enrollment.course).allowed
    approved = [m for m in mail.outbox if m.subject == f"Your refund for “{enrollment.course.title}” is approved"]
    assert len(approved) == 1 and approved[0].to == [learner.email]
    assert "approved your refund request" in approved[0].body
    assert "approved your refund request" in approved[0].alternatives[0][0]

    # Deciding twice is refused; nothing is refunded twice.
    with pytest.raises(ConflictError, match="already approved"):
        refunds.approve_refund_request(request, by=finance_user)
    assert len(stripe_refunds(emulator, enrollment.payment)) == 1


def test_staff_approve_with_a_note_in_admin(
    client, emulator, learner, finance_user, django_capture_on_commit_callbacks
):
    enrollment, request = pending_request(learner)

    client.force_login(finance_user)
    changelist = reverse("admin:marketplace_refundrequest_changelist")
    selected = {"action": "approve_with_note", "_selected_action": [request.pk]}
    form = client.post(changelist, selected)
    assert form.status_code == 200 and "Note to the learner" in form.content.decode()
    empty = client.post(changelist, {**selected, "apply": "1", "note": ""})
    assert "This field is required." in empty.content.decode()
    assert stripe_refunds(emulator, enrollment.payment) == []  # nothing happens until the note is given

    note = "Sorry about the videos: we have told the instructor."
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(changelist, {**selected, "apply": "1", "note": note}, follow=True)
    assert "1 request(s) approved and refunded." in done.content.decode()
    request.refresh_from_db()
    assert (request.status, request.decision_note, request.decided_by_id) == ("approved", note, finance_user.pk)
    assert [(r.amount, r.status) for r in stripe_refunds(emulator, enrollment.payment)] == [(1999, "succeeded")]
    [approved] = [m for m in mail.outbox if m.subject == f"Your refund for “{enrollment.course.title}” is approved"]
    assert f"Our team wrote: {note}" in approved.body and note in approved.alternatives[0][0]


def test_staff_decline_keeps_enrollment_and_tells_the_learner(
    client, emulator, learner, finance_user, django_capture_on_commit_callbacks
):
    enrollment = buy(learner)
    complete(learner, enrollment.course, 4)
    request = refunds.request_refund(learner, enrollment, reason="Finished it, want my money").request

    client.force_login(finance_user)
    changelist = reverse("admin:marketplace_refundrequest_changelist")
    form = client.post(changelist, {"action": "decline", "_selected_action": [request.pk]})
    assert form.status_code == 200 and "Note to the learner" in form.content.decode()
    short = client.post(changelist, {"action": "decline", "_selected_action": [request.pk], "apply": "1", "note": "No"})
    assert "at least 10 characters" in short.content.decode()
    note = "You completed the whole course, which our policy does not refund."
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "decline", "_selected_action": [request.pk], "apply": "1", "note": note})

    request.refresh_from_db()
    assert (request.status, request.decision_note, request.decided_by_id) == ("declined", note, finance_user.pk)
    assert stripe_refunds(emulator, enrollment.payment) == []
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is None
    assert access.course_access(learner, enrollment.course).allowed
    declined = [m for m in mail.outbox if m.subject == f"About your refund request for “{enrollment.course.title}”"]
    assert len(declined) == 1 and note in declined[0].body and note in declined[0].alternatives[0][0]

    client.force_login(learner)
    page = client.get(reverse("marketplace:my_learning")).content.decode()
    assert "Refund declined" in page and note in page
    # The decision is made, so the learner may ask again (services.refunds.request_refusal says so).
    assert refunds.request_refusal(enrollment) is None
    assert reverse("marketplace:request_refund", args=[enrollment.pk]) in page


def test_only_finance_decides(emulator, learner):
    enrollment = buy(learner)
    complete(learner, enrollment.course, 4)
    request = refunds.request_refund(learner, enrollment, reason="Please").request
    sync_staff_groups()
    support = StaffUserFactory()
    support.groups.add(Group.objects.get(name="Support"))
    with pytest.raises(DomainError, match="Finance role"):
        refunds.approve_refund_request(request, by=support)
    with pytest.raises(DomainError, match="Finance role"):
        refunds.decline_refund_request(request, by=learner, note="Not allowed to decide this")
    assert RefundRequest.objects.get(pk=request.pk).status == "pending"


# Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (Enrollment.Source.FREE, "This course is free"),
        (Enrollment.Source.PRO_LIBRARY, "through your Pro subscription"),
        (Enrollment.Source.STAFF, "given to you by our team"),
    ],
)
def test_enrolments_without_a_purchase_are_refused(client, learner, source, message):
    enrollment = EnrollmentFactory(user=learner, source=source)
    with pytest.raises(ConflictError, match=message):
        refunds.request_refund(learner, enrollment, reason="Give me money")
    client.force_login(learner)
    page = client.get(reverse("marketplace:request_refund", args=[enrollment.pk]))
    assert page.status_code == 409 and message in page.content.decode()
    assert "Request a refund" not in client.get(reverse("marketplace:my_learning")).content.decode()


def test_someone_elses_enrolment_is_not_found(client, emulator, learner):
    enrollment = buy(learner)
    other = VerifiedUserFactory()
    with pytest.raises(NotFoundError, match="No such enrolment") as caught:
        refunds.request_refund(other, enrollment, reason="Steal it")
    assert caught.value.status_code == 404
    client.force_login(other)
    url = reverse("marketplace:request_refund", args=[enrollment.pk])
    for page in (client.get(url), client.post(url, {"reason": "Steal it"})):
        # The same 404 as for an enrolment that does not exist: nothing says whose it is, or that it exists.
        assert page.status_code == 404
        assert enrollment.course.title not in page.content.decode() and "not yours" not in page.content.decode()
    assert client.get(reverse("marketplace:request_refund", args=[999999])).status_code == 404
    assert stripe_refunds(emulator, enrollment.payment) == []
    assert not Refund.objects.exists() and not RefundRequest.objects.exists()
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is None


def test_stripe_failure_keeps_the_failed_refund_and_access_and_can_be_retried(emulator, learner):
    enrollment = buy(learner)
    emulator.control.fault("error", 1, status=500, path="/v1/refunds", method="POST")
    with pytest.raises(PaymentProviderUnavailable) as caught:
        refunds.request_refund(learner, enrollment, reason="Not for me")
    assert caught.value.status_code == 503 and caught.value.message
    # billing's record of the attempt survives (our code no longer wraps it in a transaction of its own), as
    # unknown: Stripe may have refunded (issue 13 #8).
    unknown = Refund.objects.get(payment=enrollment.payment)
    assert unknown.status == Refund.Status.PENDING and unknown.stripe_refund_id is None
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is None
    assert stripe_refunds(emulator, enrollment.payment) == []

    outcome = refunds.request_refund(learner, enrollment, reason="Not for me")
    assert outcome.refunded and outcome.refund.status == Refund.Status.SUCCEEDED
    assert outcome.refund.pk == unknown.pk  # the same refund, sent again with the same key
    assert [r.status for r in stripe_refunds(emulator, enrollment.payment)] == ["succeeded"]
    assert list(Refund.objects.filter(payment=enrollment.payment).values_list("status", flat=True)) == ["succeeded"]


def test_stripe_failure_on_approval_leaves_the_request_pending(emulator, learner, finance_user):
    enrollment = buy(learner)
    complete(learner, enrollment.course, 3)
    request = refunds.request_refund(learner, enrollment, reason="The videos do not play").request
    emulator.control.fault("error", 1, status=500, path="/v1/refunds", method="POST")
    with pytest.raises(PaymentProviderUnavailable) as caught:
        refunds.approve_refund_request(request, by=finance_user)
    assert caught.value.status_code == 503 and caught.value.message  # shown to staff as it is
    request.refresh_from_db()
    assert (request.status, request.decided_by_id, request.decided_at) == ("pending", None, None)
    # Unknown, not failed: Stripe may have made it (issue 13 #8); the approval below sends it again, same key.
    assert Refund.objects.get(payment=enrollment.payment).status == Refund.Status.PENDING
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is None

    approved = refunds.approve_refund_request(request, by=finance_user, note="Sorry about the videos.")
    assert (approved.status, approved.decided_by_id, approved.decision_note) == (
        "approved",
        finance_user.pk,
        "Sorry about the videos.",
    )
    assert [r.status for r in stripe_refunds(emulator, enrollment.payment)] == ["succeeded"]
    assert Refund.objects.filter(payment=enrollment.payment).count() == 1
    assert Enrollment.objects.get(pk=enrollment.pk).revoked_at is not None


def test_my_learning_shows_pending_request_with_fixed_queries(client, emulator, learner, django_assert_num_queries):
    pending = buy(learner)
    complete(learner, pending.course, 4)
    refunds.request_refund(learner, pending, reason="Please")
    for _ in range(3):
        EnrollmentFactory(user=learner, source=Enrollment.Source.FREE)
    client.force_login(learner)
    with django_assert_num_queries(6):  # session, user, enrolments (with refund status), progress, completions,
        page = client.get(reverse("marketplace:my_learning")).content.decode()  # recent refunds
    assert "Refund requested: our team will e-mail you their decision." in page
    assert reverse("marketplace:request_refund", args=[pending.pk]) not in page


# API ---------------------------------------------------------------------------------------


def test_api_refund_is_idempotent_and_in_policy(emulator, learner):
    enrollment = buy(learner)
    api = APIClient()
    api.force_authenticate(learner)
    url = f"/api/v1/enrollments/{enrollment.pk}/refund/"
    assert api.post(url, {"reason": "x y z"}, format="json").status_code == 400  # no Idempotency-Key
    key = str(uuid.uuid4())
    first = api.post(url, {"reason": "Not for me"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 200, first.json()
    body = first.json()
    assert (body["outcome"], body["refund_amount"], body["currency"], body["refund_request"]) == (
        "refunded",
        1999,
        "usd",
        None,
    )
    again = api.post(url, {"reason": "Not for me"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.json() == body and again["Idempotent-Replayed"] == "true"
    assert len(stripe_refunds(emulator, enrollment.payment)) == 1
    other_key = api.post(url, {"reason": "Not for me"}, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert other_key.status_code == 409 and other_key.json()["error"]["code"] == "not_refundable"


def test_api_refund_outside_policy_and_errors(emulator, learner):
    enrollment = buy(learner)
    complete(learner, enrollment.course, 2)
    api = APIClient()
    url = f"/api/v1/enrollments/{enrollment.pk}/refund/"
    assert api.post(url, {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="a1").status_code == 401
    api.force_authenticate(learner)
    blank = api.post(url, {"reason": ""}, format="json", HTTP_IDEMPOTENCY_KEY="a2")
    assert blank.status_code == 400 and "reason" in blank.json()["error"]["fields"]
    response = api.post(url, {"reason": "Too basic for me"}, format="json", HTTP_IDEMPOTENCY_KEY="a3")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["outcome"] == "pending_review" and body["refund_request_status"] == "pending"
    assert body["refund_request"] == RefundRequest.objects.get().pk
    missing = api.post(
        "/api/v1/enrollments/999999/refund/", {"reason": "abc"}, format="json", HTTP_IDEMPOTENCY_KEY="a4"
    )
    assert missing.status_code == 404
    stranger = APIClient()
    stranger.force_authenticate(VerifiedUserFactory())
    refused = stranger.post(url, {"reason": "abcd"}, format="json", HTTP_IDEMPOTENCY_KEY="a5")
    # Someone else's enrolment answers exactly as one that does not exist.
    assert refused.status_code == 404 and refused.json()["error"] == missing.json()["error"]
    assert RefundRequest.objects.count() == 1 and stripe_refunds(emulator, enrollment.payment) == []


# Concurrency (PostgreSQL row locks) --------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_refund_once(emulator):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    learner = VerifiedUserFactory()
    enrollment = buy(learner)
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def click():
        try:
            barrier.wait()
            outcomes.append(refunds.request_refund(learner, enrollment, reason="Double click"))
        except DomainError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(outcomes) == 1 and outcomes[0].refunded
    assert len(errors) == 3 and all(exc.code == "not_refundable" for exc in errors)
    assert [r.status for r in stripe_refunds(emulator, enrollment.payment)] == ["succeeded"]
    assert Refund.objects.filter(payment=enrollment.payment).count() == 1
