from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.interface import grant_instructor
from config.errors import ConflictError

from .. import emails
from ..models import InstructorApplication
from ._common import Errors, check_length


def apply_to_teach(user, *, bio: str, expertise: str) -> InstructorApplication:
    if user.is_instructor:
        raise ConflictError("You are already an instructor: head to your studio.", code="already_instructor")
    bio, expertise = (bio or "").strip(), (expertise or "").strip()
    errors = Errors()
    check_length(errors, "bio", "Your bio", bio, minimum=50, maximum=5000)
    check_length(errors, "expertise", "Your expertise", expertise, minimum=3, maximum=200)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            return InstructorApplication.objects.create(user=user, bio=bio, expertise=expertise)
    except IntegrityError:
        raise ConflictError(
            "You already have an application waiting for review; we will e-mail you when it is decided.",
            code="application_pending",
        )


def _decide(application: InstructorApplication, by, status: str, note: str = "") -> InstructorApplication:
    with transaction.atomic():
        locked = InstructorApplication.objects.select_for_update().select_related("user").get(pk=application.pk)
        if locked.status != InstructorApplication.Status.PENDING:
            raise ConflictError(
                f"This application was already {locked.get_status_display().lower()}.", code="already_decided"
            )
        locked.status = status
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if status == InstructorApplication.Status.APPROVED:
            grant_instructor(locked.user)
            emails.send_after_commit("application_approved", locked.user, application=locked)
        else:
            emails.send_after_commit("application_rejected", locked.user, application=locked)
    return locked


def approve_application(application: InstructorApplication, *, by) -> InstructorApplication:
    return _decide(application, by, InstructorApplication.Status.APPROVED)


def reject_application(application: InstructorApplication, *, by, note: str = "") -> InstructorApplication:
    return _decide(application, by, InstructorApplication.Status.REJECTED, (note or "").strip()[:2000])
