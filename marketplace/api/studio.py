"""The instructor's side of the course API: create, change and submit courses; and learners' refunds.

Rules live in services.courses and services.refunds: these views parse, call a service and serialize.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.interface import IDEMPOTENCY_PARAMETER, idempotent
from config.errors import NotFoundError
from config.schema import error_responses

from .. import access, selectors
from ..models import COURSE_CURRENCIES, Category, Course, Enrollment, RefundRequest
from ..services import courses as course_services
from ..services import refunds as refund_services
from .serializers import CourseDetailSerializer

# Serializers -------------------------------------------------------------------------------


class CourseWriteSerializer(serializers.Serializer):
    """Types only: lengths, price bounds and choices are checked by the course service, which
    answers with one message per field (the same messages as the studio pages)."""

    title = serializers.CharField(help_text="5 to 120 characters.", trim_whitespace=True)
    subtitle = serializers.CharField(required=False, allow_blank=True, help_text="Up to 200 characters.")
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="Markdown, up to 20,000 characters; 50+ before review."
    )
    category = serializers.CharField(
        required=False, allow_null=True, help_text="A category slug (see the catalogue), or null for none."
    )
    level = serializers.CharField(required=False, help_text=f"One of: {', '.join(Course.Level.values)}.")
    language = serializers.CharField(required=False, help_text=f"One of: {', '.join(Course.Language.values)}.")
    price_amount = serializers.IntegerField(
        required=False,
        help_text="Minor units (cents): 0 for a free course, otherwise 100 to 100000.",
    )
    currency = serializers.CharField(
        required=False, help_text=f"One of: {', '.join(code for code, _ in COURSE_CURRENCIES)}."
    )
    in_pro_library = serializers.BooleanField(required=False, help_text="Pro subscribers can take it without buying.")

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError(
                {name: [f"Unknown field; the course fields are: {', '.join(self.fields)}."] for name in unknown}
            )
        if attrs.get("category") is not None:
            slug = attrs["category"]
            category = Category.objects.filter(slug=slug).first()
            if category is None:
                known = ", ".join(Category.objects.values_list("slug", flat=True)) or "none yet"
                raise serializers.ValidationError({"category": [f"No category “{slug}”. Known categories: {known}."]})
            attrs["category"] = category
        return attrs


REFUND_OUTCOMES = [("refunded", "Refunded"), ("pending_review", "Pending review")]


class RefundBodySerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why you want a refund, 3 to 2000 characters.")


class RefundResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=REFUND_OUTCOMES,
        help_text="refunded: granted at once under the policy; pending_review: sent to staff.",
    )
    message = serializers.CharField()
    refund_amount = serializers.IntegerField(allow_null=True, help_text="Minor units, when refunded.")
    currency = serializers.CharField()
    refund_request = serializers.IntegerField(allow_null=True, help_text="The request's id, when sent to staff.")
    refund_request_status = serializers.ChoiceField(choices=RefundRequest.Status.choices, allow_null=True)


def _course_response(pk: int, status: int = 200) -> Response:
    return Response(CourseDetailSerializer(selectors.course_by_id(pk)).data, status=status)


def _visible_course_or_404(request, pk: int) -> Course:
    """The course, if the caller may see it (else 404); its instructor alone may change it (the service
    answers 403 to anyone else who can see it)."""
    course = Course.objects.filter(pk=pk).first()
    if course is None or not access.can_view_course(request.user, course):
        raise NotFoundError("No such course.")
    return course


CATALOGUE_FILTER_NAMES = (
    "q",
    "category",
    "level",
    "min_price",
    "max_price",
    "free",
    "pro_library",
    "min_rating",
    "sort",
)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 429)
TOO_LONG_EXAMPLE = OpenApiExample(
    "Too long a title",
    status_codes=["400"],
    response_only=True,
    value={
        "error": {
            "code": "validation_error",
            "message": "The title must be at most 120 characters (it has 130).",
            "fields": {"title": ["The title must be at most 120 characters (it has 130)."]},
        }
    },
)


# Views (mixed into the catalogue's views, which own the URLs) -------------------------------


class CourseCreateMixin:
    """POST on the catalogue's URL creates a draft course."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        summary="Create a draft course",
        description=(
            "Instructors only (403 `not_instructor` otherwise). The course starts as a draft: add modules and "
            "lessons in the studio, then submit it for review. Field problems come back in `error.fields`."
        ),
        # The catalogue's filters are declared on the whole list view; they mean nothing here.
        parameters=[OpenApiParameter(name, exclude=True) for name in CATALOGUE_FILTER_NAMES],
        request=CourseWriteSerializer,
        responses={201: CourseDetailSerializer, **WRITE_ERRORS},
        examples=[TOO_LONG_EXAMPLE],
        tags=["courses"],
    )
    def post(self, request):
        body = CourseWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        course = course_services.create_course(request.user, **body.validated_data)
        return _course_response(course.pk, status=201)


class CourseUpdateMixin:
    """PATCH on the course's URL changes it (its instructor only)."""

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        summary="Change a course",
        description=(
            "The course's instructor only. Send just the fields to change. Draft and rejected courses change "
            "in place (a rejected one becomes a draft again). **Published courses: the first real change makes "
            "the course a draft again** (`status` becomes `draft`): it leaves the catalogue and is not on sale "
            "while you go on editing it (its modules and lessons too), and learners already enrolled keep their "
            "access. Submit it for review (`POST /courses/{id}/submit/`) when you are done; a reviewer's approval "
            "publishes it again, keeping its first publication date. Saving unchanged values changes nothing. "
            "Courses in review or archived cannot be changed (409)."
        ),
        request=CourseWriteSerializer(partial=True),
        responses={200: CourseDetailSerializer, **WRITE_ERRORS},
        examples=[TOO_LONG_EXAMPLE],
        tags=["courses"],
    )
    def patch(self, request, pk):
        course = _visible_course_or_404(request, pk)
        body = CourseWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        course_services.update_course(course, by=request.user, **body.validated_data)
        return _course_response(course.pk)


class CourseSubmitView(APIView):
    @extend_schema(
        summary="Submit a course for review",
        description=(
            "The course's instructor only. A draft or rejected course goes to the review queue. It must have a "
            "description of 50+ characters, a category and at least one module, each with at least one lesson: "
            "otherwise 400 `not_ready` lists every problem in `error.fields.course`."
        ),
        request=None,
        responses={200: CourseDetailSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
        tags=["courses"],
    )
    def post(self, request, pk):
        course = _visible_course_or_404(request, pk)
        course_services.submit_for_review(course, by=request.user)
        return _course_response(course.pk)


class EnrollmentRefundView(APIView):
    @extend_schema(
        summary="Ask for a refund of a course",
        description=(
            "For your own enrolment bought with a payment (anyone else's: 404). Within 30 days of the purchase and with no more than "
            "30% of the lessons completed, the payment is refunded at once and the enrolment ends (200, "
            "`refunded`). Otherwise the request goes to staff, who e-mail their decision (202, "
            "`pending_review`). Free, Pro-library, ended or already-requested enrolments: 409 with the reason. "
            "Requires an `Idempotency-Key` header."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=RefundBodySerializer,
        responses={
            200: RefundResultSerializer,
            202: RefundResultSerializer,
            **error_responses(400, 401, 404, 409, 422, 429, 502, 503),
        },
        tags=["learning"],
    )
    @idempotent
    def post(self, request, pk):
        # Only the caller's own enrolments: anyone else's is a 404 that does not say whether it exists.
        enrollment = Enrollment.objects.select_related("payment").filter(pk=pk, user=request.user).first()
        if enrollment is None:
            raise NotFoundError("No such enrolment.")
        body = RefundBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = refund_services.request_refund(request.user, enrollment, reason=body.validated_data["reason"])
        payment = enrollment.payment
        data = {
            "outcome": "refunded" if outcome.refunded else "pending_review",
            "message": outcome.message,
            "refund_amount": outcome.refund.amount if outcome.refund else None,
            "currency": payment.currency if payment else "",
            "refund_request": outcome.request.pk if outcome.request else None,
            "refund_request_status": outcome.request.status if outcome.request else None,
        }
        return Response(RefundResultSerializer(data).data, status=200 if outcome.refunded else 202)
