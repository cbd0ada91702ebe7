"""Reads: every page and endpoint asks here, with a fixed number of queries whatever the list length."""

import hashlib
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection, connections
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.query import ModelIterable
from django.utils import timezone
from django.utils.functional import cached_property

from billing.interface import Payment

from .caching import catalogue_version
from .models import (
    Category,
    Course,
    CourseCompletion,
    Enrollment,
    Lesson,
    LessonProgress,
    Module,
    Payout,
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


# The columns a catalogue card or the list API shows, and no others: the long text (description, search
# vector) would be dragged through the join and sort of every match, and every extra column is parsed per row.
LIST_FIELDS = [
    "id",
    "slug",
    "title",
    "subtitle",
    "level",
    "language",
    "price_amount",
    "currency",
    "in_pro_library",
    "status",
    "rating_average",
    "rating_count",
    "enrollment_count",
    "published_at",
    "category__id",
    "category__slug",
    "category__name",
    "instructor__id",
    "instructor__display_name",
    "instructor__email",
]


def _list_queryset() -> QuerySet[Course]:
    return Course.objects.select_related("category", "instructor").only(*LIST_FIELDS)


def catalogue(filters: CatalogueFilters) -> QuerySet[Course]:
    """Published courses matching the filters, in the order asked. Page it with CataloguePaginator."""
    queryset = _list_queryset().filter(status=Course.Status.PUBLISHED)
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
    queryset = queryset.order_by(*order)
    # CataloguePaginator keeps the number of matches for these filters (in any order) until the catalogue
    # changes. Set last: an attribute does not survive a QuerySet clone.
    queryset.count_cache_key = repr(replace(filters, sort=""))
    return queryset


class CataloguePaginator(Paginator):
    """Pages the catalogue in two queries, whatever the page.

    A full-text search (PostgreSQL) first asks for the page's ids with the number of matches beside them,
    then fetches those courses with their category and instructor. The usual COUNT and page query would
    each read every matching row, and the page query would join category and instructor to all of them
    before sorting by rank: with 10,000 courses and a common word that was three times the database time.
    The first query ranks the matches in a subquery fenced by OFFSET 0 so that only (id, sort keys) reach
    COUNT(*) OVER () and the sort; left to itself PostgreSQL carries each row's whole search vector through
    the window. Other lists, and an empty or out-of-range page, count and slice as Django's Paginator does.
    """

    @cached_property
    def count(self) -> int:
        """The number of matches, counted once per filter set until the catalogue changes (a COUNT over
        10,000 published courses costs more than the page query itself)."""
        key = getattr(self.object_list, "count_cache_key", None)
        if key is None:
            return super().count
        digest = hashlib.sha256(f"{catalogue_version()}\n{key}".encode()).hexdigest()
        return cache.get_or_set(f"catalogue-count:{digest}", lambda: Paginator.count.func(self), timeout=3600)

    def get_page(self, number):
        """Django's get_page (nonsense → the first page, too far → the last), without its up-front COUNT."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number):
        order = self._one_pass_order()
        if order is None:
            return super().page(number)
        bottom = (self._page_number(number) - 1) * self.per_page
        hits = self._ranked_ids(order, offset=bottom, limit=self.per_page + self.orphans)
        if not hits:
            return super().page(number)  # counts, then answers an empty first page or raises EmptyPage
        self.count = hits[0][1]  # Paginator.count is a cached_property
        number = self.validate_number(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        # The same query narrowed to the page's ids: the primary key finds them, and a course unpublished
        # between the two queries drops out of the page rather than showing.
        rows = list(self.object_list.filter(pk__in=[pk for pk, _total in hits[: top - bottom]]))
        return self._get_page(rows, number, self)

    def _one_pass_order(self) -> list[str] | None:
        """The ordering, when the object list is a ranked search this paginator can page in one pass: a plain
        model queryset (not values, not sliced or combined), ordered by the rank and local columns, not yet
        counted. Otherwise None, and Django's Paginator does the work."""
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if (
            query is None
            or "count" in self.__dict__
            or "rank" not in query.annotations
            or queryset._iterable_class is not ModelIterable
            or query.is_sliced
            or query.combinator
        ):
            return None
        order = list(query.order_by)
        columns = {f.name for f in queryset.model._meta.concrete_fields if not f.is_relation} | {"pk", "rank"}
        if not order or not all(isinstance(key, str) and key.lstrip("-") in columns for key in order):
            return None
        return order

    def _ranked_ids(self, order: list[str], offset: int, limit: int) -> list[tuple[int, int]]:
        """[(id, number of matches)] for one page, in the queryset's order (plain field names, as SORTS)."""
        inner = self.object_list.order_by().values_list("pk", *(key.lstrip("-") for key in order))
        sql, params = inner.query.get_compiler(using=self.object_list.db).as_sql()
        columns = ", ".join(f"c{i}" for i in range(len(order) + 1))
        order_by = ", ".join(f"c{i} {'DESC' if key.startswith('-') else 'ASC'}" for i, key in enumerate(order, 1))
        # Only Django's compiled SQL (its values stay parameters), column numbers and ASC/DESC go into the text.
        statement = f"SELECT c0, COUNT(*) OVER () FROM ({sql} OFFSET 0) AS hits({columns}) ORDER BY {order_by}"  # noqa: S608
        with connections[self.object_list.db].cursor() as cursor:
            cursor.execute(statement + " LIMIT %s OFFSET %s", [*params, limit, offset])
            return cursor.fetchall()

    def _page_number(self, number) -> int:
        """validate_number's checks that need no count."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number


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


def latest_reviews(course: Course, limit: int = 10) -> QuerySet[Review]:
    """visible_reviews, unevaluated: a page whose reviews fragment is cached never runs the query."""
    return visible_reviews_queryset(course)[:limit]


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


REFUNDED_SHOWN_DAYS = 90


def recently_refunded(user, *, now=None) -> list[Enrollment]:
    """Purchases refunded in the last REFUNDED_SHOWN_DAYS days, newest first, for My learning: a course the
    learner was refunded for leaves their list, and this says where it went. A course bought again is left out."""
    since = (now or timezone.now()) - timedelta(days=REFUNDED_SHOWN_DAYS)
    bought_again = Enrollment.objects.filter(user=user, course=OuterRef("course"), revoked_at__isnull=True)
    return list(
        Enrollment.objects.filter(
            user=user,
            revoked_at__gte=since,
            payment__status__in=(Payment.Status.REFUNDED, Payment.Status.PARTIALLY_REFUNDED),
        )
        .exclude(Exists(bought_again))
        .select_related("course", "payment")
        .order_by("-revoked_at", "-id")
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


def courses_in_review_count() -> int:
    return Course.objects.filter(status=Course.Status.IN_REVIEW).count()


def waiting_refund_request_count() -> int:
    return RefundRequest.objects.filter(status=RefundRequest.Status.PENDING).count()


def failing_payout_count() -> int:
    return Payout.objects.filter(status=Payout.Status.FAILED).count()
