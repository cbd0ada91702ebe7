"""The operations console for the catalogue: review queue, instructor applications, enrolments."""

from django.contrib import admin, messages
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from config.errors import DomainError

from .forms import RejectCourseForm
from .models import Category, Course, Enrollment, InstructorApplication, Lesson, LessonProgress, Module, Review
from .services import courses as course_services
from .services import instructors as instructor_services


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

    def has_review_permission(self, request):
        return request.user.has_perm("marketplace.review_course")

    @admin.display(description="Price")
    def price_display(self, course):
        return course.price_display

    @admin.display(description="Preview")
    def preview(self, course):
        url = reverse("marketplace:course_detail", args=[course.slug])
        return format_html('<a href="{}" target="_blank" rel="noopener">Preview</a>', url)

    def _run(self, request, queryset, service, done: str, **kwargs) -> None:
        succeeded, failures = 0, []
        for course in queryset:
            try:
                service(course, by=request.user, **kwargs)
                succeeded += 1
            except DomainError as exc:
                failures.append(f"{course.title}: {exc.message}")
        if succeeded:
            self.message_user(request, f"{succeeded} course(s) {done}.", messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Approve and publish", permissions=["review"])
    def approve(self, request, queryset):
        self._run(request, queryset, course_services.approve_course, "approved and published")

    @admin.action(description="Reject with a reason…", permissions=["review"])
    def reject(self, request, queryset):
        if "apply" in request.POST:
            form = RejectCourseForm(request.POST)
            if form.is_valid():
                self._run(
                    request, queryset, course_services.reject_course, "rejected", reason=form.cleaned_data["reason"]
                )
                return None
        else:
            form = RejectCourseForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject courses",
            "courses": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/marketplace/course/reject.html", context)

    @admin.action(description="Archive", permissions=["review"])
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
        count = 0
        for application in queryset:
            try:
                service(application, by=request.user)
                count += 1
            except DomainError as exc:
                self.message_user(request, f"{application.user}: {exc.message}", messages.ERROR)
        if count:
            self.message_user(request, f"{count} application(s) {done}.", messages.SUCCESS)

    @admin.action(description="Approve (grants the instructor role and e-mails them)", permissions=["change"])
    def approve(self, request, queryset):
        self._run(request, queryset, instructor_services.approve_application, "approved")

    @admin.action(description="Reject (e-mails them)", permissions=["change"])
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
    list_display = ["course", "user", "rating", "created_at", "hidden_at"]
    list_filter = ["rating", ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["course__title", "user__email", "text"]
    list_select_related = ["course", "user"]
    readonly_fields = [
        "course",
        "user",
        "rating",
        "text",
        "reply",
        "replied_at",
        "hidden_at",
        "hidden_by",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False
