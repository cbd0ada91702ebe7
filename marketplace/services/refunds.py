"""Course refunds: the self-service policy, and requests outside it that staff decide.

Policy: within 30 days of the purchase and with no more than 30% of the course's lessons completed,
the refund is granted at once through billing (whose revoke hook ends the enrolment and reverses the
instructor's share). Otherwise a RefundRequest goes to staff, who approve (the same refund) or decline.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.interface import may
from billing.interface import Payment, Refund, RefundError, refund_payment
from config.errors import ConflictError, NotFoundError

from .. import emails
from ..models import Enrollment, Lesson, LessonProgress, RefundRequest
from ._common import Errors, Forbidden, check_length

REFUND_WINDOW = timedelta(days=30)
MAX_PROGRESS_PERCENT = 30
ALREADY_REQUESTED = "You have already asked for a refund of this course; we will e-mail you our decision."

NOT_REFUNDABLE = {
    Enrollment.Source.FREE: "This course is free, so there is no payment to refund.",
    Enrollment.Source.PRO_LIBRARY: (
        "You take this course through your Pro subscription, so there is no course purchase to refund. "
        "You can cancel Pro from your subscription page."
    ),
    Enrollment.Source.STAFF: "This course was given to you by our team, so there is no payment to refund.",
}


@dataclass(frozen=True)
class PolicyCheck:
    """Where an enrolment stands against the self-service policy."""

    days_since_purchase: int
    lessons_done: int
    lessons_total: int
    problems: tuple[str, ...]

    @property
    def within_policy(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RefundOutcome:
    refunded: bool
    message: str
    refund: Refund | None = None
    request: RefundRequest | None = None


def _purchased_at(payment: Payment) -> datetime:
    return payment.succeeded_at or payment.created_at


def check_policy(enrollment: Enrollment, *, now: datetime | None = None) -> PolicyCheck:
    """Is this purchase inside the self-service refund policy? Problems say why not, in plain words."""
    now = now or timezone.now()
    age = now - _purchased_at(enrollment.payment)
    total = Lesson.objects.filter(course_id=enrollment.course_id).count()
    done = LessonProgress.objects.filter(user_id=enrollment.user_id, course_id=enrollment.course_id).count()
    problems = []
    if age > REFUND_WINDOW:
        problems.append(
            f"You bought this course {age.days} days ago; refunds are automatic only within "
            f"{REFUND_WINDOW.days} days of the purchase."
        )
    # Integer arithmetic: done/total > 30% exactly when done * 100 > total * 30.
    if total and done * 100 > total * MAX_PROGRESS_PERCENT:
        problems.append(
            f"You have completed {done} of {total} lessons; refunds are automatic only before you complete "
            f"more than {MAX_PROGRESS_PERCENT}% of a course."
        )
    return PolicyCheck(days_since_purchase=age.days, lessons_done=done, lessons_total=total, problems=tuple(problems))


def refund_refusal(enrollment: Enrollment) -> str | None:
    """Why this enrolment cannot be refunded at all (None when a refund can be asked for).

    Callers load the enrolment as its learner's own (someone else's is a 404, never an answer here)."""
    if enrollment.revoked_at is not None:
        return "This enrolment has already ended (it was refunded or revoked), so there is nothing left to refund."
    if enrollment.source != Enrollment.Source.PURCHASE or enrollment.payment is None:
        return NOT_REFUNDABLE.get(enrollment.source, "This enrolment was not bought, so there is nothing to refund.")
    if enrollment.payment.refundable_amount <= 0:
        return "This purchase has already been refunded."
    return None


def request_refusal(enrollment: Enrollment, *, has_pending_request: bool | None = None) -> str | None:
    """Why the learner cannot ask for a refund now: the purchase cannot be refunded, or they already asked.

    Lists pass `has_pending_request` from an annotation (selectors.learning_with_refund_status) to save a query."""
    refusal = refund_refusal(enrollment)
    if refusal is None:
        if has_pending_request is None:
            has_pending_request = enrollment.refund_requests.filter(status=RefundRequest.Status.PENDING).exists()
        if has_pending_request:
            return ALREADY_REQUESTED
    return refusal


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    errors = Errors()
    check_length(errors, "reason", "The reason", reason, minimum=3, maximum=2000)
    errors.raise_if_any()
    return reason


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    # The row lock makes double clicks and concurrent requests queue while one of them decides; a later
    # one then sees the open request, or the refund under way (billing's Payment lock), and is refused.
    return Enrollment.objects.select_for_update(of=("self",)).select_related("payment", "course").get(pk=enrollment.pk)


def _refund_in_stripe(enrollment: Enrollment, *, reason: str, by, source: str) -> Refund:
    """billing.refund_payment, called outside our transactions: it records its Refund before calling Stripe and
    marks it failed on error, so nothing of ours can roll back the record of money Stripe moved. Its Payment lock
    and "already refunded" check stop a second refund of the same purchase."""
    try:
        return refund_payment(enrollment.payment, amount=None, reason=reason[:500], requested_by=by, source=source)
    except RefundError as exc:
        if exc.code not in ("already_refunded", "refund_pending"):
            raise
        raise ConflictError(
            "This purchase has already been refunded, or its refund is under way.", code="not_refundable"
        ) from None


def request_refund(user, enrollment: Enrollment, *, reason: str, now: datetime | None = None) -> RefundOutcome:
    """A learner asks for their money back: granted at once inside the policy, else sent to staff."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("Sign in to ask for a refund.", code="not_authenticated", status_code=401)
    if enrollment.user_id != user.pk:  # views load the learner's own; never say whose this is
        raise NotFoundError("No such enrolment.")
    reason = _clean_reason(reason)
    with transaction.atomic():
        enrollment = _lock_enrollment(enrollment)
        refusal = request_refusal(enrollment)
        if refusal == ALREADY_REQUESTED:
            raise ConflictError(refusal, code="refund_request_pending")
        if refusal:
            raise ConflictError(refusal, code="not_refundable")
        policy = check_policy(enrollment, now=now)
        course = enrollment.course
        if not policy.within_policy:
            try:
                with transaction.atomic():
                    refund_request = RefundRequest.objects.create(
                        enrollment=enrollment,
                        payment=enrollment.payment,
                        user=user,
                        reason=reason,
                        policy_note=" ".join(policy.problems)[:255],
                    )
            except IntegrityError:  # the constraint is the last word on "one open request"
                raise ConflictError(ALREADY_REQUESTED, code="refund_request_pending") from None
            emails.send_after_commit("refund_request_received", user, course=course, refund_request=refund_request)
            return RefundOutcome(
                refunded=False,
                request=refund_request,
                message=(
                    f"{' '.join(policy.problems)} We have sent your request to our team, who will e-mail you "
                    "their decision."
                ),
            )
    # Inside the policy: the refund itself runs after our lock is released (see _refund_in_stripe).
    refund = _refund_in_stripe(enrollment, reason=f"Refund policy: {reason}", by=user, source=Refund.Source.POLICY)
    # Billing e-mails the refund receipt; the revoke hook has ended the enrolment.
    return RefundOutcome(
        refunded=True,
        refund=refund,
        message=f"Your refund for “{course.title}” has been issued. It usually reaches your card within 5–10 business days.",
    )


# Staff decisions ---------------------------------------------------------------------------


def _require_decider(by) -> None:
    if not may(by, "marketplace.decide_refund_requests"):
        raise Forbidden("Only staff with the Finance role can decide refund requests.")


def _lock_pending(refund_request: RefundRequest) -> RefundRequest:
    locked = (
        RefundRequest.objects.select_for_update().select_related("user", "enrollment__course").get(pk=refund_request.pk)
    )
    if locked.status != RefundRequest.Status.PENDING:
        raise ConflictError(
            f"This request was already {locked.get_status_display().lower()}.", code="refund_request_decided"
        )
    return locked


def approve_refund_request(refund_request: RefundRequest, *, by, note: str = "") -> RefundRequest:
    """Refund the purchase in full (billing ends the enrolment) and tell the learner.

    Three steps, so the Stripe call is outside our transactions: check the request is pending; refund through
    billing; record the decision. If the refund fails, the request stays pending and the error is raised."""
    _require_decider(by)
    note = (note or "").strip()
    with transaction.atomic():
        locked = _lock_pending(refund_request)
        enrollment = _lock_enrollment(locked.enrollment)
        refusal = refund_refusal(enrollment)
        if refusal:
            raise ConflictError(f"Cannot refund: {refusal}", code="not_refundable")
    _refund_in_stripe(
        enrollment,
        reason=f"Refund request #{locked.pk} approved: {locked.reason}",
        by=by,
        source=Refund.Source.STAFF,
    )
    with transaction.atomic():
        # No pending check here: the money has moved, so the request is approved whatever happened meanwhile.
        locked = RefundRequest.objects.select_for_update().select_related("user").get(pk=refund_request.pk)
        locked.status = RefundRequest.Status.APPROVED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        emails.send_after_commit("refund_approved", locked.user, course=enrollment.course, refund_request=locked)
    return locked


def decline_refund_request(refund_request: RefundRequest, *, by, note: str) -> RefundRequest:
    """Keep the purchase (and the enrolment) and tell the learner why."""
    _require_decider(by)
    note = (note or "").strip()
    errors = Errors()
    check_length(errors, "note", "The note to the learner", note, minimum=10, maximum=2000)
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_pending(refund_request)
        locked.status = RefundRequest.Status.DECLINED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        emails.send_after_commit("refund_declined", locked.user, course=locked.enrollment.course, refund_request=locked)
    return locked
