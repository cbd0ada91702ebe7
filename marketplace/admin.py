"""The operations console for the catalogue: review queue, instructor applications, enrolments."""

from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from config.admin_tools import run_on_each

from .admin_actions import with_reason
from .forms import ApproveRefundForm, DeclineRefundForm, HideReviewForm, RejectCourseForm
from .models import (
    Category,
    Course,
    Enrollment,
    InstructorApplication,
    Lesson,
    LessonProgress,
    Module,
    RefundRequest,
    Review,
)
from .services import courses as course_services
from .services import instructors as instructor_services
from .services import refunds as refund_services
from .services import reviews as review_services


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class ModuleInline(admin.TabularInline):
    model = Module
    extra = 0
    fields = ["title", "order"]
    readonly_fields = ["title", "order"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "instructor",
        "status",
        "category",
        "price_display",
        "in_pro_library",
        "submitted_at",
        "preview",
    ]
    list_filter = ["status", "category", "level", "in_pro_library"]
    search_fields = ["title", "slug", "instructor__email"]
    list_select_related = ["instructor", "category"]
    ordering = ["-submitted_at", "-created_at"]
    # Content comes from the studio; staff change status only through the review actions.
    readonly_fields = [
        "title", "slug", "subtitle", "description", "category", "level", "language", "price_amount", "currency",
        "in_pro_library", "cover_image", "status", "rejection_reason", "instructor", "rating_average",
        "rating_count", "enrollment_count", "submitted_at", "reviewed_by", "reviewed_at", "published_at",
        "created_at", "updated_at", "preview",
    ]  # fmt: skip
    inlines = [ModuleInline]
    actions = ["approve", "reject", "archive"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(lesson_total=Count("lessons"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Price")
    def price_display(self, course):
        return course.price_display

    @admin.display(description="Preview")
    def preview(self, course):
        url = reverse("marketplace:course_detail", args=[course.slug])
        return format_html('<a href="{}" target="_blank" rel="noopener">Preview</a>', url)

    def _run(self, request, queryset, service, done: str, **kwargs) -> None:
        run_on_each(
            self,
            request,
            queryset,
            lambda course: service(course, by=request.user, **kwargs),
            done=done,
            noun="course",
            label=lambda course: course.title,
        )

    @admin.action(description="Approve and publish")
    def approve(self, request, queryset):
        self._run(request, queryset, course_services.approve_course, "approved and published")

    @admin.action(description="Reject with a reason…")
    def reject(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset.select_related("instructor"),
            form_class=RejectCourseForm,
            title="Reject courses",
            intro="These courses go back to their instructors with your reason, by e-mail and in their studio:",
            describe=lambda course: f"{course.title} — {course.instructor} ({course.get_status_display()})",
            submit="Reject with this reason",
            apply=lambda data: self._run(
                request, queryset, course_services.reject_course, "rejected", reason=data["reason"]
            ),
        )

    @admin.action(description="Archive")
    def archive(self, request, queryset):
        self._run(request, queryset, course_services.archive_course, "archived")


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ["title", "duration_minutes", "is_preview", "order"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "order"]
    search_fields = ["title", "course__title"]
    list_select_related = ["course"]
    readonly_fields = ["course", "title", "order"]
    inlines = [LessonInline]

    def has_add_permission(self, request):
        return False


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "course", "module", "duration_minutes", "is_preview"]
    search_fields = ["title", "course__title"]
    list_select_related = ["course", "module"]
    readonly_fields = ["course", "module", "title", "body", "video_url", "duration_minutes", "is_preview", "order"]

    def has_add_permission(self, request):
        return False


@admin.register(InstructorApplication)
class InstructorApplicationAdmin(admin.ModelAdmin):
    list_display = ["user", "expertise", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "expertise"]
    list_select_related = ["user", "decided_by"]
    readonly_fields = ["user", "bio", "expertise", "status", "decided_by", "decided_at", "created_at"]
    fields = ["user", "expertise", "bio", "status", "decision_note", "decided_by", "decided_at", "created_at"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def _run(self, request, queryset, service, done):
        run_on_each(
            self,
            request,
            queryset,
            lambda application: service(application, by=request.user),
            done=done,
            noun="application",
            label=lambda application: application.user,
        )

    @admin.action(description="Approve (grants the instructor role and e-mails them)")
    def approve(self, request, queryset):
        self._run(request, queryset, instructor_services.approve_application, "approved")

    @admin.action(description="Reject (e-mails them)")
    def reject(self, request, queryset):
        self._run(request, queryset, instructor_services.reject_application, "rejected")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "source", "created_at", "revoked_at"]
    list_filter = ["source", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "course__title"]
    list_select_related = ["user", "course"]
    readonly_fields = [
        "user", "course", "source", "payment", "last_lesson", "created_at", "revoked_at", "revoke_reason",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ["user", "lesson", "course", "completed_at"]
    search_fields = ["user__email", "course__title"]
    list_select_related = ["user", "lesson", "course"]
    readonly_fields = ["user", "lesson", "course", "completed_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    """Moderation: hiding takes a review off the course page and the API and out of the average."""

    list_display = ["course", "user", "rating", "is_hidden", "replied", "created_at"]
    list_filter = [("hidden_at", admin.EmptyFieldListFilter), "rating", "created_at"]
    search_fields = ["course__title", "user__email", "text", "reply"]
    list_select_related = ["course", "user"]
    date_hierarchy = "created_at"
    # Learners write, instructors reply and moderators hide only through the services (which keep the rating right).
    readonly_fields = [
        "course", "user", "rating", "text", "reply", "replied_at", "hidden_at", "hidden_by", "hidden_reason",
        "created_at", "updated_at",
    ]  # fmt: skip
    actions = ["hide", "unhide"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting would bypass the rating recomputation: hide instead

    @admin.display(description="Hidden", boolean=True, ordering="hidden_at")
    def is_hidden(self, review):
        return review.hidden_at is not None

    @admin.display(description="Replied", boolean=True, ordering="replied_at")
    def replied(self, review):
        return bool(review.reply)

    def _moderate(self, request, queryset, service, done: str, **kwargs) -> None:
        run_on_each(
            self, request, queryset, lambda review: service(request.user, review, **kwargs), done=done, noun="review"
        )

    @admin.action(description="Hide with a reason…")
    def hide(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset.select_related("course", "user"),
            form_class=HideReviewForm,
            title="Hide reviews",
            intro="These reviews will disappear from their course pages and the API, "
            "and stop counting in the courses' ratings:",
            describe=lambda review: (
                f"{review.rating}★ on “{review.course.title}” by {review.user}"
                + (" (already hidden)" if review.hidden_at else "")
            ),
            submit="Hide with this reason",
            apply=lambda data: self._moderate(
                request, queryset, review_services.hide_review, "hidden", reason=data["reason"]
            ),
        )

    @admin.action(description="Unhide (show again)")
    def unhide(self, request, queryset):
        self._moderate(request, queryset, review_services.unhide_review, "shown again")


@admin.register(RefundRequest)
class RefundRequestAdmin(admin.ModelAdmin):
    """Refund requests outside the self-service policy: approve (refunds through billing) or decline."""

    list_display = ["user", "course_title", "status", "amount", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "enrollment__course__title"]
    list_select_related = ["user", "enrollment__course", "payment", "decided_by"]
    readonly_fields = [
        "user", "enrollment", "payment", "amount", "reason", "policy_note", "status", "decided_by",
        "decision_note", "decided_at", "created_at",
    ]  # fmt: skip
    actions = ["approve", "approve_with_note", "decline"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Course", ordering="enrollment__course__title")
    def course_title(self, refund_request):
        return refund_request.enrollment.course.title

    @admin.display(description="Amount")
    def amount(self, refund_request):
        from billing.interface import format_money

        return format_money(refund_request.payment.amount, refund_request.payment.currency)

    def _run(self, request, queryset, service, done: str, **kwargs) -> None:
        run_on_each(
            self,
            request,
            queryset,
            lambda refund_request: service(refund_request, by=request.user, **kwargs),
            done=done,
            noun="request",
            label=lambda refund_request: refund_request.user,
        )

    @admin.action(description="Approve and refund in full (e-mails the learner)")
    def approve(self, request, queryset):
        self._run(request, queryset, refund_services.approve_refund_request, "approved and refunded")

    @admin.action(description="Approve and refund with a note… (e-mails the learner)")
    def approve_with_note(self, request, queryset):
        return self._decide_with_note(
            request,
            queryset,
            form_class=ApproveRefundForm,
            title="Approve refund requests",
            intro="These learners are refunded in full, lose access to the course and receive your note by e-mail:",
            submit="Approve and refund",
            service=refund_services.approve_refund_request,
            done="approved and refunded",
        )

    @admin.action(description="Decline with a note… (e-mails the learner)")
    def decline(self, request, queryset):
        return self._decide_with_note(
            request,
            queryset,
            form_class=DeclineRefundForm,
            title="Decline refund requests",
            intro="These learners keep their course and receive your note by e-mail:",
            submit="Decline with this note",
            service=refund_services.decline_refund_request,
            done="declined",
        )

    def _decide_with_note(self, request, queryset, *, form_class, title, intro, submit, service, done):
        """Ask for the note to the learner, then run the decision on each selected request."""
        return with_reason(
            self,
            request,
            queryset.select_related("user", "enrollment__course"),
            form_class=form_class,
            title=title,
            intro=intro,
            describe=lambda item: f"{item.user} — {item.enrollment.course.title} ({item.get_status_display()})",
            submit=submit,
            apply=lambda data: self._run(request, queryset, service, done, note=data["note"]),
        )


# Earnings, sales and payouts: registered from their own module (kept apart to stay small).
from . import earnings_admin  # noqa: E402, F401
