from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.interface import MAX_AMOUNT

from ..models import Course, Enrollment, Lesson, Module
from ..rendering import render_markdown
from ..selectors import SORTS, CatalogueFilters


class CatalogueQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Full-text search.")
    # DRF's SearchFilter calls it `search`: the same search under the name integrators try first.
    search = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="The same as q.")
    category = serializers.SlugField(required=False, help_text="A category slug.")
    level = serializers.ChoiceField(choices=Course.Level.choices, required=False)
    min_price = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_AMOUNT, help_text="In minor units (cents)."
    )
    max_price = serializers.IntegerField(
        required=False, min_value=0, max_value=MAX_AMOUNT, help_text="In minor units (cents)."
    )
    free = serializers.BooleanField(required=False, allow_null=True, default=None)
    pro_library = serializers.BooleanField(required=False, allow_null=True, default=None)
    min_rating = serializers.DecimalField(required=False, max_digits=3, decimal_places=2, min_value=0, max_value=5)
    sort = serializers.ChoiceField(
        choices=[*SORTS, "relevance"], required=False, help_text="Default: relevance when searching, else popular."
    )

    def validate(self, attrs):
        low, high = attrs.get("min_price"), attrs.get("max_price")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"max_price": ["max_price must not be below min_price."]})
        if attrs.get("q") and attrs.get("search") and attrs["q"] != attrs["search"]:
            raise serializers.ValidationError(
                {"search": ["Give q or search (the same search), not two different ones."]}
            )
        return attrs

    def filters(self) -> CatalogueFilters:
        data = self.validated_data
        return CatalogueFilters(
            q=data.get("q") or data.get("search", ""),
            category=data.get("category", ""),
            level=data.get("level", ""),
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            free=data.get("free"),
            pro_library=data.get("pro_library"),
            min_rating=data.get("min_rating"),
            sort=data.get("sort", ""),
        )


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PriceSerializer(serializers.Serializer):
    amount = serializers.IntegerField(source="price_amount", help_text="Minor units; 0 for a free course.")
    currency = serializers.CharField()
    display = serializers.CharField(source="price_display")


class CourseListSerializer(serializers.ModelSerializer):
    category = CategoryRefSerializer(allow_null=True)
    instructor = PersonSerializer()
    price = PriceSerializer(source="*")
    is_free = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Course
        fields = [
            "id",
            "slug",
            "title",
            "subtitle",
            "category",
            "level",
            "language",
            "price",
            "is_free",
            "in_pro_library",
            "rating_average",
            "rating_count",
            "enrollment_count",
            "instructor",
            "status",
            "published_at",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, course: Course) -> str:
        return reverse("marketplace:course_detail", args=[course.slug])

    def to_representation(self, course: Course) -> dict:
        """The catalogue's hot path (issue 6, bench/): the same output as DRF's walk over the declared fields
        (test_catalogue_fast_path.py holds them equal), without building and visiting ~25 field objects for
        every row, which made the list cost ~3x a bare DRF list. Subclasses (the detail view) keep the walk."""
        if type(self) is not CourseListSerializer:
            return super().to_representation(course)
        category, instructor = course.category, course.instructor
        return {
            "id": course.pk,
            "slug": course.slug,
            "title": course.title,
            "subtitle": course.subtitle,
            "category": None if category is None else {"slug": category.slug, "name": category.name},
            "level": course.level,
            "language": course.language,
            "price": {"amount": course.price_amount, "currency": course.currency, "display": course.price_display},
            "is_free": course.is_free,
            "in_pro_library": course.in_pro_library,
            "rating_average": _RATING.to_representation(course.rating_average),
            "rating_count": course.rating_count,
            "enrollment_count": course.enrollment_count,
            "instructor": {"id": instructor.pk, "name": instructor.name},
            "status": course.status,
            "published_at": _DATETIME.to_representation(course.published_at),
            "url": self._course_url(course.slug),
        }

    def _course_url(self, slug: str) -> str:
        # reverse() once per list rather than per row (it was a fifth of the serialising). A slug is
        # [-a-zA-Z0-9_], which reverse() never quotes, so putting it in place of a placeholder is exact.
        template = getattr(self, "_url_template", None)
        if template is None:
            template = self._url_template = reverse("marketplace:course_detail", args=[_SLUG_PLACEHOLDER])
        return template.replace(_SLUG_PLACEHOLDER, slug, 1)


# Stateless formatters for CourseListSerializer.to_representation, configured like the fields they stand in for.
_RATING = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True)
_DATETIME = serializers.DateTimeField(read_only=True)
_SLUG_PLACEHOLDER = "course-slug-placeholder"


class LessonOutlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = ["id", "title", "duration_minutes", "is_preview", "order"]
        read_only_fields = fields


class ModuleOutlineSerializer(serializers.ModelSerializer):
    lessons = LessonOutlineSerializer(many=True)

    class Meta:
        model = Module
        fields = ["id", "title", "order", "lessons"]
        read_only_fields = fields


class CourseDetailSerializer(CourseListSerializer):
    description_html = serializers.SerializerMethodField()
    modules = ModuleOutlineSerializer(many=True)

    class Meta(CourseListSerializer.Meta):
        fields = [*CourseListSerializer.Meta.fields, "description", "description_html", "modules"]
        read_only_fields = fields

    def get_description_html(self, course: Course) -> str:
        return str(render_markdown(course.description))


class PurchaseResponseSerializer(serializers.Serializer):
    payment_id = serializers.UUIDField()
    checkout_url = serializers.URLField()


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    completed = serializers.BooleanField()


class LessonCompleteResponseSerializer(serializers.Serializer):
    lesson = serializers.IntegerField()
    completed_at = serializers.DateTimeField()
    progress = ProgressSerializer()


class EnrollmentCourseSerializer(serializers.ModelSerializer):
    instructor = PersonSerializer()

    class Meta:
        model = Course
        fields = ["id", "slug", "title", "status", "instructor"]
        read_only_fields = fields


class EnrollmentSerializer(serializers.ModelSerializer):
    course = EnrollmentCourseSerializer()
    progress = serializers.SerializerMethodField()
    last_lesson = serializers.IntegerField(source="last_lesson_id", allow_null=True)

    class Meta:
        model = Enrollment
        fields = ["id", "course", "source", "created_at", "last_lesson", "progress"]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, enrollment: Enrollment) -> dict:
        counts = self.context.get("progress_counts", {})
        completed = self.context.get("completed_ids", set())
        return {
            "done": counts.get(enrollment.course_id, 0),
            "total": getattr(enrollment, "lesson_total", 0),
            "completed": enrollment.course_id in completed,
        }
