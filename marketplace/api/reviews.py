"""GET|POST /api/v1/courses/{id}/reviews/: read a course's visible reviews, write or edit your own."""

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response

from config.errors import NotFoundError
from config.schema import error_responses

from .. import access, selectors
from ..models import Course, Review
from ..services import reviews as review_services


class CourseReviewSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="user.name", help_text="The reviewer's display name.")
    text = serializers.CharField(help_text="Plain text (no HTML); escape it when you display it.")
    reply = serializers.CharField(help_text="The instructor's reply, or an empty string.")
    replied_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        model = Review
        fields = ["id", "rating", "text", "author", "reply", "replied_at", "created_at", "updated_at"]
        read_only_fields = fields


class CourseReviewWriteSerializer(serializers.Serializer):
    """Types only: who may review, the rating's range and the text's length are the review service's to
    judge, with the same messages as the course page."""

    rating = serializers.IntegerField(
        help_text="Whole stars, 1 to 5.",
        error_messages={
            "invalid": review_services.RATING_MESSAGE,
            "required": "Give a rating from 1 to 5 stars.",
            "null": "Give a rating from 1 to 5 stars.",
        },
    )
    text = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=(
            f"Plain text, {review_services.TEXT_MIN} to {review_services.TEXT_MAX} characters once any HTML is removed."
        ),
        error_messages={"required": "Write a few words about the course.", "null": "Write a few words."},
    )


class CourseRatingSerializer(serializers.Serializer):
    average = serializers.DecimalField(max_digits=3, decimal_places=2, source="rating_average")
    count = serializers.IntegerField(source="rating_count")


class CourseReviewSavedSerializer(serializers.Serializer):
    review = CourseReviewSerializer()
    created = serializers.BooleanField(help_text="True for a new review, false when your review was edited.")
    course_rating = CourseRatingSerializer(help_text="The course's rating after your review.")


def _reviewable_course(request, pk: int) -> Course:
    """The course, if its page is visible to the caller (access.can_view_course): no reviews of a course
    the course page would answer 404 for."""
    course = Course.objects.select_related("instructor").filter(pk=pk).first()
    if course is None or not access.can_view_course(request.user, course):
        raise NotFoundError("No such course.")
    return course


class CourseReviewsView(generics.ListAPIView):
    serializer_class = CourseReviewSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no course to look up
            return Review.objects.none()
        return selectors.visible_reviews_queryset(self.course)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.course = _reviewable_course(request, kwargs["pk"])

    @extend_schema(
        summary="A course's reviews",
        description=(
            "Visible reviews of the course, newest first, with the instructor's replies. Open to everyone who "
            "may see the course (404 otherwise, as for the course itself)."
        ),
        responses={200: CourseReviewSerializer(many=True), **error_responses(404, 429)},
        tags=["courses"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Review a course",
        description=(
            "Creates your review of the course, or edits it if you already wrote one (one review per learner). "
            "Only learners taking the course (enrolled, or through the Pro library) who have completed at least "
            "one lesson may review it; its instructor may not. HTML in the text is removed. Returns the course's "
            "new average and count."
        ),
        request=CourseReviewWriteSerializer,
        responses={
            201: CourseReviewSavedSerializer,
            200: CourseReviewSavedSerializer,
            **error_responses(400, 401, 403, 404, 429),
        },
        examples=[OpenApiExample("A review", value={"rating": 5, "text": "Clear, practical and well paced."})],
        tags=["courses"],
    )
    def post(self, request, *args, **kwargs):
        # Types only here; submit_review answers who may review before it judges what they wrote.
        body = CourseReviewWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review, created = review_services.submit_review(
            request.user, self.course, body.validated_data["rating"], body.validated_data["text"]
        )
        review.user = request.user
        data = {"review": review, "created": created, "course_rating": review.course}
        return Response(CourseReviewSavedSerializer(data).data, status=201 if created else 200)
