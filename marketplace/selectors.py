"""Reads: every page and endpoint asks here, with a fixed number of queries whatever the list length."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from .models import (
    Category,
    Course,
    CourseCompletion,
    Enrollment,
    Lesson,
    LessonProgress,
    Module,
    RefundRequest,
    Review,
)

SORTS = {
    "popular": ["-enrollment_count", "-published_at", "-id"],
    "newest": ["-published_at", "-id"],
    "rating": ["-rating_average", "-rating_count", "-id"],
    "price": ["price_amount", "-published_at", "-id"],
    "-price": ["-price_amount", "-published_at", "-id"],
}


@dataclass
class CatalogueFilters:
    q: str = ""
    category: str = ""  # slug
    level: str = ""
    min_price: int | None = None
    max_price: int | None = None
    free: bool | None = None
    pro_library: bool | None = None
    min_rating: Decimal | None = None
    sort: str = ""  # popular | newest | rating | price | -price | relevance (default: relevance when searching)


def _search(queryset: QuerySet, q: str) -> tuple[QuerySet, bool]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(q, config="english", search_type="websearch")
        # F(): a bare field name makes SearchRank wrap it in to_tsvector(search_vector::text), which re-parses
        # every matching row's vector (hundreds of ms at 10,000 courses) and loses the title/subtitle weights.
        ranked = queryset.filter(search_vector=query).annotate(rank=SearchRank(F("search_vector"), query))
        return ranked, True
    words = q.split()[:8]
    for word in words:
        queryset = queryset.filter(Q(title__icontains=word) | Q(subtitle__icontains=word))
    return queryset, False


# Long text a list never shows: left in the table, a search drags it through the join and sort of every match.
LIST_DEFERRED = ["description", "search_vector", "rejection_reason"]


def catalogue(filters: CatalogueFilters) -> QuerySet[Course]:
    queryset = (
        Course.objects.filter(status=Course.Status.PUBLISHED)
        .select_related("category", "instructor")
        .defer(*LIST_DEFERRED)
    )
    ranked = False
    if filters.q.strip():
        queryset, ranked = _search(queryset, filters.q.strip())
    if filters.category:
        queryset = queryset.filter(category__slug=filters.category)
    if filters.level:
        queryset = queryset.filter(level=filters.level)
    if filters.free is True:
        queryset = queryset.filter(price_amount=0)
    elif filters.free is False:
        queryset = queryset.filter(price_amount__gt=0)
    if filters.min_price is not None:
        queryset = queryset.filter(price_amount__gte=filters.min_price)
    if filters.max_price is not None:
        queryset = queryset.filter(price_amount__lte=filters.max_price)
    if filters.pro_library is not None:
        queryset = queryset.filter(in_pro_library=filters.pro_library)
    if filters.min_rating is not None:
        queryset = queryset.filter(rating_average__gte=filters.min_rating, rating_count__gt=0)
    order = SORTS.get(filters.sort)
    if order is None:  # "relevance" or nothing: best match first when searching, else most popular
        order = ["-rank", "-id"] if ranked else SORTS["popular"]
    return queryset.order_by(*order)


def categories() -> QuerySet[Category]:
    return Category.objects.all()


def _syllabus_prefetch() -> Prefetch:
    lessons = Lesson.objects.only(
        "id", "module_id", "course_id", "title", "duration_minutes", "is_preview", "order", "video_url"
    ).order_by("order", "id")
    return Prefetch(
        "modules", queryset=Module.objects.order_by("order", "id").prefetch_related(Prefetch("lessons", lessons))
    )


def course_page(slug: str) -> Course | None:
    """A course with its category, instructor and syllabus (modules → lessons), in three queries."""
    return (
        Course.objects.select_related("category", "instructor")
        .prefetch_related(_syllabus_prefetch())
        .filter(slug=slug)
        .first()
    )


def course_by_id(pk: int) -> Course | None:
    return (
        Course.objects.select_related("category", "instructor")
        .prefetch_related(_syllabus_prefetch())
        .filter(pk=pk)
        .first()
    )


def visible_reviews(course: Course, limit: int = 10) -> list[Review]:
    return list(visible_reviews_queryset(course)[:limit])


def visible_reviews_queryset(course: Course) -> QuerySet[Review]:
    """Every review the public may see, newest first (the API pages through it)."""
    return (
        Review.objects.filter(course=course, hidden_at__isnull=True)
        .select_related("user")
        .order_by("-created_at", "-id")
    )


def own_review(user, course: Course) -> Review | None:
    """The viewer's review of the course, hidden or not (they edit it from the course page)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Review.objects.filter(course=course, user=user).first()


def courses_taught(user) -> QuerySet[Course]:
    return (
        Course.objects.filter(instructor=user)
        .select_related("category")
        .annotate(module_total=Count("modules", distinct=True), lesson_total=Count("lessons", distinct=True))
        .order_by("-created_at")
    )


def studio_course(user, pk: int) -> Course | None:
    return (
        Course.objects.filter(instructor=user, pk=pk)
        .select_related("category")
        .prefetch_related(_syllabus_prefetch())
        .first()
    )


def completed_lesson_ids(user, course: Course) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(LessonProgress.objects.filter(user=user, course=course).values_list("lesson_id", flat=True))


def learning(user) -> QuerySet[Enrollment]:
    """The learner's active enrolments with lesson totals and how many they have done."""
    return (
        Enrollment.objects.filter(user=user, revoked_at__isnull=True)
        .select_related("course", "course__instructor", "last_lesson")
        .annotate(
            lesson_total=Count("course__lessons", distinct=True),
        )
        .order_by("-created_at")
    )


def learning_with_refund_status(user) -> QuerySet[Enrollment]:
    """`learning`, each enrolment with its payment, its latest refund request's status and note, and whether a
    request is open (subqueries, no query per row): what services.refunds.request_refusal needs."""
    requests = RefundRequest.objects.filter(enrollment=OuterRef("pk"))
    latest = requests.order_by("-created_at")
    return (
        learning(user)
        .select_related("payment")
        .annotate(
            refund_status=Subquery(latest.values("status")[:1]),
            refund_note=Subquery(latest.values("decision_note")[:1]),
            has_pending_refund=Exists(requests.filter(status=RefundRequest.Status.PENDING)),
        )
    )


def progress_counts(user, course_ids: list[int]) -> dict[int, int]:
    rows = (
        LessonProgress.objects.filter(user=user, course_id__in=course_ids)
        .values("course_id")
        .annotate(n=Count("id"))
        .values_list("course_id", "n")
    )
    return dict(rows)


def has_completed(user, course: Course) -> bool:
    """Has the user completed the course (its CourseCompletion, recorded once by services.learning)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    return CourseCompletion.objects.filter(user=user, course=course).exists()


def completed_course_ids(user, course_ids: list[int]) -> set[int]:
    return set(CourseCompletion.objects.filter(user=user, course_id__in=course_ids).values_list("course_id", flat=True))


def next_lesson(user, course: Course) -> Lesson | None:
    """Where to resume: the first lesson in syllabus order not yet completed (else the first)."""
    lessons = list(Lesson.objects.filter(course=course).order_by("module__order", "module_id", "order", "id"))
    if not lessons:
        return None
    done = completed_lesson_ids(user, course)
    return next((lesson for lesson in lessons if lesson.pk not in done), lessons[0])


def ordered_lessons(course: Course) -> list[Lesson]:
    """From a course loaded by course_page (prefetched), in syllabus order, without another query."""
    return [lesson for module in course.modules.all() for lesson in module.lessons.all()]


def review_queue() -> QuerySet[Course]:
    return Course.objects.filter(status=Course.Status.IN_REVIEW).select_related("instructor").order_by("submitted_at")
