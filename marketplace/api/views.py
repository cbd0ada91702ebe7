from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.interface import IDEMPOTENCY_PARAMETER, idempotent
from config.api import Pagination
from config.errors import NotFoundError
from config.schema import error_responses

from .. import access, selectors
from ..models import CourseCompletion, Lesson, LessonProgress
from ..services import learning, purchases
from . import studio
from .serializers import (
    CatalogueQuerySerializer,
    CourseDetailSerializer,
    CourseListSerializer,
    EnrollmentSerializer,
    LessonCompleteResponseSerializer,
    PurchaseResponseSerializer,
)


class CataloguePagination(Pagination):
    django_paginator_class = selectors.CataloguePaginator


CATALOGUE_PARAMETERS = [
    OpenApiParameter("q", str, description="Full-text search in title, subtitle and description."),
    OpenApiParameter("search", str, description="The same as q (DRF's usual name); give one of the two."),
    OpenApiParameter("category", str, description="Category slug."),
    OpenApiParameter("level", str, enum=["beginner", "intermediate", "advanced", "all"]),
    OpenApiParameter("min_price", int, description="Minimum price in minor units."),
    OpenApiParameter("max_price", int, description="Maximum price in minor units."),
    OpenApiParameter("free", bool),
    OpenApiParameter("pro_library", bool, description="Only courses in (true) or not in (false) the Pro library."),
    OpenApiParameter("min_rating", float, description="Minimum average rating, 0–5."),
    OpenApiParameter("sort", str, enum=["popular", "newest", "rating", "price", "-price", "relevance"]),
]


@extend_schema(
    summary="The course catalogue",
    description="Published courses, with search, filters, sorting and pagination. Open to everyone.",
    parameters=CATALOGUE_PARAMETERS,
    responses={200: CourseListSerializer(many=True), **error_responses(400, 429)},
    tags=["courses"],
)
class CourseListView(studio.CourseCreateMixin, generics.ListAPIView):
    serializer_class = CourseListSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends: list = []
    pagination_class = CataloguePagination

    def get_queryset(self):
        query = CatalogueQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.catalogue(query.filters())


class CourseDetailView(studio.CourseUpdateMixin, APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="One course",
        description=(
            "A published course with its syllabus. Its instructor and staff can also read unpublished ones; "
            "learners enrolled in an archived course, or in one being edited or reviewed again, still can."
        ),
        responses={200: CourseDetailSerializer, **error_responses(404, 429)},
        tags=["courses"],
    )
    def get(self, request, pk):
        course = selectors.course_by_id(pk)
        if course is None or not access.can_view_course(request.user, course):
            raise NotFoundError("No such course.")
        return Response(CourseDetailSerializer(course).data)


class PurchaseRequestSerializer(serializers.Serializer):
    promotion_code = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text="A single-use discount code for this course."
    )


class CoursePurchaseView(APIView):
    @extend_schema(
        summary="Buy a course",
        description=(
            "Starts a Stripe Checkout for the course and returns its URL. The enrolment is created when the "
            "payment succeeds. Requires an `Idempotency-Key` header. Free courses need no purchase (409). "
            "An optional `promotion_code` (a single-use course coupon) discounts the checkout; a code that is not "
            "usable, or is for another course or learner, is a 400."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=PurchaseRequestSerializer,
        examples=[OpenApiExample("With a coupon", value={"promotion_code": "LYC-7KQ2M9XH4P"}, request_only=True)],
        responses={201: PurchaseResponseSerializer, **error_responses(400, 401, 403, 404, 409, 422, 429, 502, 503)},
        tags=["courses"],
    )
    @idempotent
    def post(self, request, pk):
        course = selectors.course_by_id(pk)
        if course is None or not course.is_published:
            raise NotFoundError("No such course on sale.")
        body = PurchaseRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        start = purchases.start_course_purchase(
            request.user, course, promotion_code=body.validated_data.get("promotion_code", "")
        )
        return Response({"payment_id": str(start.payment.pk), "checkout_url": start.url}, status=201)


class LessonCompleteView(APIView):
    @extend_schema(
        summary="Mark a lesson complete",
        description="Records that you completed the lesson (repeating it changes nothing) and returns your progress.",
        request=None,
        responses={200: LessonCompleteResponseSerializer, **error_responses(401, 403, 404, 429)},
        tags=["learning"],
    )
    def post(self, request, pk):
        lesson = Lesson.objects.select_related("course").filter(pk=pk).first()
        if lesson is None:
            raise NotFoundError("No such lesson.")
        progress = learning.complete_lesson(request.user, lesson)
        with transaction.atomic():
            done = LessonProgress.objects.filter(user=request.user, course=lesson.course).count()
            total = Lesson.objects.filter(course=lesson.course).count()
            completed = CourseCompletion.objects.filter(user=request.user, course=lesson.course).exists()
        return Response(
            {
                "lesson": lesson.pk,
                "completed_at": progress.completed_at,
                "progress": {"done": done, "total": total, "completed": completed},
            }
        )


@extend_schema(
    summary="Your enrolments",
    description="The courses you are enrolled in, newest first, with your progress in each.",
    responses={200: EnrollmentSerializer(many=True), **error_responses(401, 429)},
    tags=["learning"],
)
class EnrollmentListView(generics.ListAPIView):
    serializer_class = EnrollmentSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.learning(self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page = getattr(self, "_page_ids", None)
        if page is not None:
            context["progress_counts"] = selectors.progress_counts(self.request.user, page)
            context["completed_ids"] = selectors.completed_course_ids(self.request.user, page)
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._page_ids = [enrollment.course_id for enrollment in (page or [])]
        return page
