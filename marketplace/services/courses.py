"""Courses, modules and lessons: authoring in the studio and the review workflow."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import slugify

from accounts.interface import may
from config.errors import ConflictError, DomainError

from .. import emails
from ..models import COURSE_CURRENCIES, MAX_PRICE, MIN_PRICE, Category, Course, Lesson, Module
from ..validators import cover_image_problem
from ._common import Errors, Forbidden, check_length, check_single_line

COURSE_FIELDS = (
    "title",
    "subtitle",
    "description",
    "category",
    "level",
    "language",
    "price_amount",
    "currency",
    "in_pro_library",
    "cover_image",
)
LESSON_FIELDS = ("title", "body", "video_url", "duration_minutes", "is_preview", "order")
EDITABLE_STATUSES = (Course.Status.DRAFT, Course.Status.REJECTED, Course.Status.PUBLISHED)


# Checks ------------------------------------------------------------------------------------


def _require_instructor_of(user, course: Course) -> None:
    if course.instructor_id != user.pk:
        raise Forbidden("Only the course's instructor can change it.")


def _require_editable(course: Course) -> None:
    if course.status == Course.Status.IN_REVIEW:
        raise ConflictError(
            "This course is waiting for review; withdraw it from review to make changes.", code="in_review"
        )
    if course.status == Course.Status.ARCHIVED:
        raise ConflictError("Archived courses cannot be changed.", code="archived")


def _validate_course(values: dict[str, Any]) -> None:
    errors = Errors()
    check_length(errors, "title", "The title", values["title"], minimum=5, maximum=120)
    check_single_line(errors, "title", "The title", values["title"])
    check_length(errors, "subtitle", "The subtitle", values["subtitle"], maximum=200)
    check_single_line(errors, "subtitle", "The subtitle", values["subtitle"])
    check_length(errors, "description", "The description", values["description"], maximum=20_000)
    price = values["price_amount"]
    if isinstance(price, bool) or not isinstance(price, int):
        errors.add("price_amount", "The price is a whole number of cents, e.g. 1999 for 19.99.")
    elif price != 0 and not MIN_PRICE <= price <= MAX_PRICE:
        errors.add(
            "price_amount",
            f"The price is either 0 (a free course) or between {MIN_PRICE} and {MAX_PRICE} cents "
            f"({MIN_PRICE // 100}.00 to {MAX_PRICE // 100:,}.00).",
        )
    if values["currency"] not in dict(COURSE_CURRENCIES):
        errors.add("currency", "Choose USD, EUR or GBP.")
    if values["level"] not in Course.Level.values:
        errors.add("level", f"Choose one of: {', '.join(Course.Level.values)}.")
    if values["language"] not in Course.Language.values:
        errors.add("language", f"Choose one of: {', '.join(Course.Language.values)}.")
    category = values["category"]
    if category is not None and not isinstance(category, Category):
        errors.add("category", "Choose a category from the list.")
    cover = values.get("cover_image")
    if cover and hasattr(cover, "read") and not getattr(cover, "_committed", False):
        problem = cover_image_problem(cover)
        if problem:
            errors.add("cover_image", problem)
    errors.raise_if_any()


def _unique_slug(title: str, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:120].strip("-") or "course"
    slug, n = base, 1
    taken = Course.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    for key in ("title", "subtitle", "description"):
        if key in values:
            values[key] = (values[key] or "").strip()
    if "currency" in values:
        values["currency"] = (values["currency"] or "").lower()
    return values


def _reopen_for_editing(course: Course) -> None:
    """The first real edit of a published course makes it a draft again: edits must not reach learners
    unreviewed, and the instructor must be able to finish them (e.g. add the lessons of a new module) before
    a reviewer sees them. Having a published_at, the draft stays out of the catalogue and off sale while
    enrolled learners keep their access (Course.is_under_re_review, is_open_to_learners); the instructor
    resubmits through submit_for_review, and approval keeps the first published_at. The caller holds the
    course's row lock and saves nothing else on it."""
    if course.status != Course.Status.PUBLISHED:
        return
    course.status = Course.Status.DRAFT
    course.save(update_fields=["status", "updated_at"])


# Courses -----------------------------------------------------------------------------------


@transaction.atomic
def create_course(instructor, **fields) -> Course:
    if not instructor.is_instructor:
        raise Forbidden("Only instructors can create courses. Apply to teach first.", code="not_instructor")
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown course field(s): {', '.join(sorted(unknown))}.")
    defaults = {
        "subtitle": "",
        "description": "",
        "category": None,
        "level": Course.Level.BEGINNER,
        "language": Course.Language.ENGLISH,
        "price_amount": 0,
        "currency": "usd",
        "in_pro_library": False,
        "cover_image": None,
    }
    values = _normalise({**defaults, "title": "", **fields})
    _validate_course(values)
    course = Course(instructor=instructor, slug=_unique_slug(values["title"]), **values)
    course.save()
    return course


@transaction.atomic
def update_course(course: Course, *, by, **changes) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_instructor_of(by, course)
    _require_editable(course)
    unknown = set(changes) - set(COURSE_FIELDS)
    if unknown:
        raise DomainError(f"Unknown course field(s): {', '.join(sorted(unknown))}.")
    values = _normalise({field: getattr(course, field) for field in COURSE_FIELDS} | changes)
    _validate_course(values)
    changed = [field for field in changes if field == "cover_image" or values[field] != getattr(course, field)]
    if course.status == Course.Status.PUBLISHED and not changed:
        return course  # saving the form unchanged must not unpublish the course
    for field in changes:
        setattr(course, field, values[field])
    if course.status in (Course.Status.PUBLISHED, Course.Status.REJECTED):
        # A published course is reopened for editing (see _reopen_for_editing); editing a rejected one starts
        # the next round, and the reviewer's reason stays visible until resubmission.
        course.status = Course.Status.DRAFT
    course.save()
    return course


def review_problems(course: Course) -> list[str]:
    """Everything that must be fixed before the course can be submitted, in plain words."""
    problems = []
    if len(course.description.strip()) < 50:
        problems.append("Write a description of at least 50 characters so learners know what they will learn.")
    if course.category_id is None:
        problems.append("Choose a category.")
    modules = list(Module.objects.filter(course=course).annotate(n=Count("lessons")).order_by("order", "id"))
    if not modules:
        problems.append("Add at least one module with at least one lesson.")
    for module in modules:
        if module.n == 0:
            problems.append(f"Module “{module.title}” has no lessons: add one or delete the module.")
    return problems


@transaction.atomic
def submit_for_review(course: Course, *, by) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_instructor_of(by, course)
    if course.status not in (Course.Status.DRAFT, Course.Status.REJECTED):
        raise ConflictError(
            f"Only a draft or rejected course can be submitted; this one is {course.get_status_display().lower()}.",
            code="not_submittable",
        )
    problems = review_problems(course)
    if problems:
        raise DomainError(
            "The course is not ready for review: " + " ".join(problems),
            code="not_ready",
            fields={"course": problems},
        )
    course.status = Course.Status.IN_REVIEW
    course.submitted_at = timezone.now()
    course.save(update_fields=["status", "submitted_at", "updated_at"])
    return course


@transaction.atomic
def withdraw_from_review(course: Course, *, by) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_instructor_of(by, course)
    if course.status != Course.Status.IN_REVIEW:
        raise ConflictError("This course is not waiting for review.", code="not_in_review")
    course.status = Course.Status.DRAFT
    course.save(update_fields=["status", "updated_at"])
    return course


def _require_reviewer(by) -> None:
    if not may(by, "marketplace.review_courses"):
        raise Forbidden("Only staff with the Content review role can approve or reject courses.")


@transaction.atomic
def approve_course(course: Course, *, by) -> Course:
    _require_reviewer(by)
    course = Course.objects.select_for_update().select_related("instructor").get(pk=course.pk)
    if course.status != Course.Status.IN_REVIEW:
        raise ConflictError(
            f"Only courses in review can be approved; “{course.title}” is {course.get_status_display().lower()}.",
            code="not_in_review",
        )
    now = timezone.now()
    course.status = Course.Status.PUBLISHED
    course.published_at = course.published_at or now
    course.reviewed_by = by
    course.reviewed_at = now
    course.rejection_reason = ""
    course.save(
        update_fields=["status", "published_at", "reviewed_by", "reviewed_at", "rejection_reason", "updated_at"]
    )
    emails.send_after_commit("course_approved", course.instructor, course=course)
    return course


@transaction.atomic
def reject_course(course: Course, *, by, reason: str) -> Course:
    _require_reviewer(by)
    reason = (reason or "").strip()
    errors = Errors()
    check_length(errors, "reason", "The reason", reason, minimum=10, maximum=2000)
    errors.raise_if_any()
    course = Course.objects.select_for_update().select_related("instructor").get(pk=course.pk)
    if course.status != Course.Status.IN_REVIEW:
        raise ConflictError(
            f"Only courses in review can be rejected; “{course.title}” is {course.get_status_display().lower()}.",
            code="not_in_review",
        )
    course.status = Course.Status.REJECTED
    course.rejection_reason = reason
    course.reviewed_by = by
    course.reviewed_at = timezone.now()
    course.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at", "updated_at"])
    emails.send_after_commit("course_rejected", course.instructor, course=course)
    return course


@transaction.atomic
def archive_course(course: Course, *, by) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    if not (course.instructor_id == by.pk or may(by, "marketplace.review_courses")):
        raise Forbidden("Only the course's instructor or Content review can archive it.")
    if course.status != Course.Status.PUBLISHED:
        raise ConflictError("Only a published course can be archived.", code="not_published")
    course.status = Course.Status.ARCHIVED
    course.save(update_fields=["status", "updated_at"])
    return course


# Modules and lessons -----------------------------------------------------------------------


def _editable_course_for(by, course: Course) -> Course:
    course = Course.objects.select_for_update().get(pk=course.pk)
    _require_instructor_of(by, course)
    _require_editable(course)
    return course


def _validate_module_title(title: str) -> str:
    title = (title or "").strip()
    errors = Errors()
    check_length(errors, "title", "The module title", title, minimum=3, maximum=120)
    check_single_line(errors, "title", "The module title", title)
    errors.raise_if_any()
    return title


@transaction.atomic
def add_module(course: Course, *, by, title: str) -> Module:
    course = _editable_course_for(by, course)
    title = _validate_module_title(title)
    last = Module.objects.filter(course=course).aggregate(m=Max("order"))["m"]
    module = Module.objects.create(course=course, title=title, order=(last or 0) + 1)
    _reopen_for_editing(course)
    return module  # module.course is the locked, updated course: callers read its status from it


@transaction.atomic
def update_module(module: Module, *, by, title: str | None = None, order: int | None = None) -> Module:
    course = _editable_course_for(by, module.course)
    before = (module.title, module.order)
    if title is not None:
        module.title = _validate_module_title(title)
    if order is not None:
        if not isinstance(order, int) or order < 0:
            raise DomainError("The position is a whole number from 0.", fields={"order": ["Not a valid position."]})
        module.order = order
    module.save()
    if (module.title, module.order) != before:
        _reopen_for_editing(course)
    module.course = course  # the locked, updated course: callers read its status from it
    return module


@transaction.atomic
def delete_module(module: Module, *, by) -> None:
    course = _editable_course_for(by, module.course)
    if course.published_at is not None:
        raise ConflictError(
            "Modules of a course that has been published cannot be deleted; learners may be taking them.",
            code="published_content",
        )
    module.delete()


def _validate_lesson(values: dict[str, Any]) -> None:
    errors = Errors()
    check_length(errors, "title", "The lesson title", values["title"], minimum=3, maximum=120)
    check_single_line(errors, "title", "The lesson title", values["title"])
    check_length(errors, "body", "The lesson text", values["body"], maximum=50_000)
    if values["video_url"]:
        try:
            URLValidator(schemes=["https", "http"])(values["video_url"])
        except ValidationError:
            errors.add("video_url", "The video link must be a full web address starting with https://.")
    duration = values["duration_minutes"]
    if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 600:
        errors.add("duration_minutes", "The duration is a whole number of minutes between 1 and 600.")
    if not values["body"] and not values["video_url"]:
        errors.add("body", "A lesson needs text, a video link, or both.")
    errors.raise_if_any()


@transaction.atomic
def add_lesson(module: Module, *, by, **fields) -> Lesson:
    course = _editable_course_for(by, module.course)
    unknown = set(fields) - set(LESSON_FIELDS)
    if unknown:
        raise DomainError(f"Unknown lesson field(s): {', '.join(sorted(unknown))}.")
    values = {"title": "", "body": "", "video_url": "", "duration_minutes": 5, "is_preview": False, **fields}
    for key in ("title", "body", "video_url"):
        values[key] = (values[key] or "").strip()
    _validate_lesson(values)
    if "order" not in values:
        last = Lesson.objects.filter(module=module).aggregate(m=Max("order"))["m"]
        values["order"] = (last or 0) + 1
    lesson = Lesson.objects.create(module=module, course=course, **values)
    _reopen_for_editing(course)
    return lesson  # lesson.course is the locked, updated course: callers read its status from it


@transaction.atomic
def update_lesson(lesson: Lesson, *, by, **changes) -> Lesson:
    course = _editable_course_for(by, lesson.course)
    unknown = set(changes) - set(LESSON_FIELDS)
    if unknown:
        raise DomainError(f"Unknown lesson field(s): {', '.join(sorted(unknown))}.")
    values = {field: getattr(lesson, field) for field in LESSON_FIELDS} | changes
    for key in ("title", "body", "video_url"):
        values[key] = (values[key] or "").strip()
    _validate_lesson(values)
    changed = [field for field in changes if values[field] != getattr(lesson, field)]
    for field in changes:
        setattr(lesson, field, values[field])
    lesson.save()
    if changed:
        _reopen_for_editing(course)
    lesson.course = course  # the locked, updated course: callers read its status from it
    return lesson


@transaction.atomic
def delete_lesson(lesson: Lesson, *, by) -> None:
    course = _editable_course_for(by, lesson.course)
    if course.published_at is not None:
        raise ConflictError(
            "Lessons of a course that has been published cannot be deleted; learners may be taking them.",
            code="published_content",
        )
    lesson.delete()
