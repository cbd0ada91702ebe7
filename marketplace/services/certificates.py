"""Completion certificates: who gets one, and the public check that a printed one is genuine."""

from dataclasses import dataclass

from .. import access
from ..models import Course, CourseCompletion

CERTIFICATES_FEATURE = "certificates"


@dataclass(frozen=True)
class CertificateAccess:
    allowed: bool
    code: str  # ok | not_authenticated | not_completed | feature_required
    message: str
    completion: CourseCompletion | None = None

    def __bool__(self) -> bool:
        return self.allowed


MESSAGES = {
    "ok": "",
    "not_authenticated": "Sign in to see your certificate.",
    "not_completed": "Complete every lesson of this course to earn its certificate.",
    "feature_required": (
        "Certificates are included in Pro: upgrade to Pro and the certificate for this course is yours at once."
    ),
}


def certificate_access(user, course: Course) -> CertificateAccess:
    """A certificate needs a completed course and the `certificates` feature (asked of subscriptions)."""
    if not getattr(user, "is_authenticated", False):
        return CertificateAccess(False, "not_authenticated", MESSAGES["not_authenticated"])
    completion = CourseCompletion.objects.filter(user=user, course=course).first()
    if completion is None:
        return CertificateAccess(False, "not_completed", MESSAGES["not_completed"])
    if not access.has_feature(user, CERTIFICATES_FEATURE):
        return CertificateAccess(False, "feature_required", MESSAGES["feature_required"], completion)
    return CertificateAccess(True, "ok", "", completion)


def verify_certificate(code: str) -> CourseCompletion | None:
    """The completion a certificate code belongs to, with everything the certificate shows (one query)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 32:
        return None
    return (
        CourseCompletion.objects.select_related("user", "course", "course__instructor")
        .filter(certificate_code=code)
        .first()
    )
