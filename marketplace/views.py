"""Server-rendered pages: parse the request, call a selector or a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from config.errors import DomainError

from . import access, selectors
from .caching import catalogue_version
from .forms import (
    COURSE_FIELD_MAP,
    CatalogueForm,
    CourseForm,
    InstructorApplicationForm,
    LessonForm,
    ModuleForm,
    RefundRequestForm,
    ReviewForm,
    ReviewReplyForm,
    add_domain_error,
)
from .models import Course, Enrollment, InstructorApplication, Lesson, Module, Review
from .selectors import CatalogueFilters
from .services import certificates as certificate_services
from .services import courses as course_services
from .services import instructors as instructor_services
from .services import learning, purchases
from .services import refunds as refund_services
from .services import reviews as review_services

PAGE_SIZE = 12


def _pro_pricing_url() -> str | None:
    for name in ("subscriptions:pricing", "pricing"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


# Catalogue ---------------------------------------------------------------------------------


def catalogue(request):
    form = CatalogueForm(request.GET)
    # An invalid filter (e.g. a price of "abc" or "1e308") is shown on the form with a 400; the list then
    # ignores the filters.
    valid = form.is_valid()
    filters = form.filters() if valid else CatalogueFilters()
    page = selectors.CataloguePaginator(selectors.catalogue(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "marketplace/catalogue.html",
        {
            "form": form,
            "page": page,
            "categories": list(selectors.categories()),
            "filters": filters,
            "query_string": query.urlencode(),
        },
        status=200 if valid else 400,
    )


def _viewable_course_or_404(request, slug: str) -> Course:
    course = selectors.course_page(slug)
    if course is None or not access.can_view_course(request.user, course):
        raise Http404("No such course.")
    return course


def course_detail(request, slug):
    course = _viewable_course_or_404(request, slug)
    enrollment = access.active_enrollment(request.user, course)
    granted = access.course_access(request.user, course, enrollment)
    done = selectors.completed_lesson_ids(request.user, course) if granted else set()
    lessons = selectors.ordered_lessons(course)
    # Without any lesson done there is no completion to look up.
    completed = bool(done) and selectors.has_completed(request.user, course)
    return render(
        request,
        "marketplace/course_detail.html",
        {
            "course": course,
            "access": granted,
            "enrollment": enrollment,
            "lessons": lessons,
            "lesson_total": len(lessons),
            "done_count": len(done & {lesson.pk for lesson in lessons}),
            "done": done,
            "completed": completed,
            "duration_total": sum(lesson.duration_minutes for lesson in lessons),
            # Lazy: read only when the reviews fragment is not in the cache.
            "reviews": selectors.latest_reviews(course),
            "catalogue_version": catalogue_version(),
            "access_message": access.denial_message(granted),
            "pro_pricing_url": _pro_pricing_url(),
            "is_owner": request.user.is_authenticated and course.instructor_id == request.user.pk,
            **_review_context(request, course, enrollment, granted, done),
        },
    )


def _review_context(request, course: Course, enrollment, granted, done: set[int]) -> dict:
    """The viewer's own review and whether they may write one, from what the page already loaded."""
    is_owner = request.user.is_authenticated and course.instructor_id == request.user.pk
    own = None if is_owner else selectors.own_review(request.user, course)
    eligibility = review_services.review_eligibility(
        request.user, course, enrollment=enrollment, has_progress=bool(done) if granted else None
    )
    initial = {"rating": own.rating, "text": own.text} if own else None
    return {
        "own_review": own,
        "review_eligibility": eligibility,
        "review_form": ReviewForm(initial=initial) if eligibility else None,
    }


# Reviews and certificates ------------------------------------------------------------------


@login_required
def review_course(request, slug):
    """Write or edit your review; on bad input the form comes back with the service's messages."""
    course = _viewable_course_or_404(request, slug)
    eligibility = review_services.review_eligibility(request.user, course)
    own = selectors.own_review(request.user, course)
    initial = {"rating": own.rating, "text": own.text} if own else None
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and eligibility and form.is_valid():
        try:
            _, created = review_services.submit_review(
                request.user, course, form.cleaned_data["rating"], form.cleaned_data["text"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Thank you for your review." if created else "Your review has been updated.")
            return redirect(reverse("marketplace:course_detail", args=[course.slug]) + "#reviews")
    return render(
        request,
        "marketplace/review_form.html",
        {"course": course, "form": form, "eligibility": eligibility, "own_review": own, "mode": "review"},
        status=200 if eligibility else 403,
    )


@login_required
def reply_to_review(request, slug, review_id):
    course = _viewable_course_or_404(request, slug)
    review = get_object_or_404(
        Review.objects.select_related("user"), pk=review_id, course=course, hidden_at__isnull=True
    )
    if course.instructor_id != request.user.pk:  # the service refuses too; nobody else sees this form
        raise Http404("No such review to reply to.")
    form = ReviewReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review_services.reply_to_review(request.user, review, form.cleaned_data["reply"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Your reply is published under the review.")
            return redirect(reverse("marketplace:course_detail", args=[course.slug]) + "#reviews")
    return render(
        request, "marketplace/review_form.html", {"course": course, "form": form, "review": review, "mode": "reply"}
    )


@login_required
def certificate(request, slug):
    course = get_object_or_404(Course.objects.select_related("instructor"), slug=slug)
    granted = certificate_services.certificate_access(request.user, course)
    context = {"course": course, "certificate": granted, "pro_pricing_url": _pro_pricing_url()}
    if granted:
        code = granted.completion.certificate_code
        context |= {
            "completion": granted.completion,
            "learner": request.user,
            "verify_url": request.build_absolute_uri(reverse("marketplace:certificate_verify", args=[code])),
        }
    return render(request, "marketplace/certificate.html", context, status=200 if granted else 403)


def certificate_verify(request, code):
    """Public: anyone holding a certificate's code can check that it is genuine."""
    completion = certificate_services.verify_certificate(code)
    context = {"verifying": True, "code": code}
    if completion is not None:
        context |= {
            "completion": completion,
            "course": completion.course,
            "learner": completion.user,
            "verify_url": request.build_absolute_uri(request.path),
        }
    return render(request, "marketplace/certificate.html", context, status=200 if completion else 404)


@require_POST
@login_required
def buy(request, slug):
    course = get_object_or_404(Course, slug=slug)
    if course.is_free:
        return start(request, slug)
    try:
        checkout = purchases.start_course_purchase(
            request.user, course, promotion_code=request.POST.get("promotion_code", "")[:100]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("marketplace:course_detail", slug=slug)
    return HttpResponseRedirect(checkout.url)


@require_POST
@login_required
def start(request, slug):
    """Free courses and Pro-library courses start without paying."""
    course = get_object_or_404(Course, slug=slug)
    try:
        if course.is_free:
            learning.enroll_free(request.user, course)
        else:
            learning.start_with_pro(request.user, course)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("marketplace:course_detail", slug=slug)
    messages.success(request, f"You are enrolled in “{course.title}”.")
    return redirect("marketplace:learn", slug=slug)


@login_required
def learn(request, slug):
    """Resume: the first lesson not yet completed."""
    course = _viewable_course_or_404(request, slug)
    lesson = selectors.next_lesson(request.user, course)
    if lesson is None:
        messages.info(request, "This course has no lessons yet.")
        return redirect("marketplace:course_detail", slug=slug)
    return redirect("marketplace:lesson", slug=slug, lesson_id=lesson.pk)


def lesson(request, slug, lesson_id):
    course = _viewable_course_or_404(request, slug)
    lessons = selectors.ordered_lessons(course)
    current = next((item for item in lessons if item.pk == lesson_id), None)
    if current is None:
        raise Http404("No such lesson in this course.")
    granted = access.lesson_access(request.user, current, course)
    if not granted:
        return render(
            request,
            "marketplace/no_access.html",
            {
                "course": course,
                "lesson": current,
                "access": granted,
                "message": access.denial_message(granted),
                "pro_pricing_url": _pro_pricing_url(),
            },
            status=403,
        )
    full = Lesson.objects.get(pk=current.pk)
    learning.record_visit(request.user, granted.enrollment, full)
    done = selectors.completed_lesson_ids(request.user, course)
    index = lessons.index(current)
    return render(
        request,
        "marketplace/lesson.html",
        {
            "course": course,
            "lesson": full,
            "lessons": lessons,
            "access": granted,
            "done": done,
            "done_count": len(done),
            "lesson_total": len(lessons),
            "previous": lessons[index - 1] if index > 0 else None,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
            "can_record": granted.reason != "preview",
        },
    )


@require_POST
@login_required
def complete_lesson(request, slug, lesson_id):
    course = get_object_or_404(Course, slug=slug)
    lesson = get_object_or_404(Lesson, pk=lesson_id, course=course)
    try:
        learning.complete_lesson(request.user, lesson)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("marketplace:lesson", slug=slug, lesson_id=lesson.pk)
    following = selectors.next_lesson(request.user, course)
    if selectors.completed_lesson_ids(request.user, course) >= set(course.lessons.values_list("pk", flat=True)):
        messages.success(request, f"You have completed “{course.title}”. Well done!")
        return redirect("marketplace:course_detail", slug=slug)
    return redirect("marketplace:lesson", slug=slug, lesson_id=following.pk)


@login_required
def my_learning(request):
    enrollments = list(selectors.learning_with_refund_status(request.user))
    course_ids = [e.course_id for e in enrollments]
    counts = selectors.progress_counts(request.user, course_ids)
    completed = selectors.completed_course_ids(request.user, course_ids)
    rows = [
        {
            "enrollment": e,
            "course": e.course,
            "done": counts.get(e.course_id, 0),
            "total": e.lesson_total,
            "completed": e.course_id in completed,
            "percent": int(counts.get(e.course_id, 0) * 100 / e.lesson_total) if e.lesson_total else 0,
            "can_request_refund": refund_services.request_refusal(e, has_pending_request=e.has_pending_refund) is None,
        }
        for e in enrollments
    ]
    return render(
        request, "marketplace/my_learning.html", {"rows": rows, "refunded": selectors.recently_refunded(request.user)}
    )


@login_required
def request_refund(request, enrollment_id):
    """The refund policy explained, the learner's standing against it, and a reason to confirm."""
    # Only the learner's own enrolments: anyone else's is a 404 that does not say whether it exists.
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("course", "payment"), pk=enrollment_id, user=request.user
    )
    refusal = refund_services.request_refusal(enrollment)
    if refusal:
        return render(request, "marketplace/refund_request.html", {"refusal": refusal}, status=409)
    form = RefundRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = refund_services.request_refund(request.user, enrollment, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            (messages.success if outcome.refunded else messages.info)(request, outcome.message)
            return redirect("marketplace:my_learning")
    return render(
        request,
        "marketplace/refund_request.html",
        {
            "enrollment": enrollment,
            "course": enrollment.course,
            "payment": enrollment.payment,
            "policy": refund_services.check_policy(enrollment),
            "window_days": refund_services.REFUND_WINDOW.days,
            "max_percent": refund_services.MAX_PROGRESS_PERCENT,
            "form": form,
        },
    )


# Teaching ----------------------------------------------------------------------------------


@login_required
def apply_to_teach(request):
    if request.user.is_instructor:
        return redirect("marketplace:studio")
    pending = InstructorApplication.objects.filter(
        user=request.user, status=InstructorApplication.Status.PENDING
    ).first()
    last = InstructorApplication.objects.filter(user=request.user).first()
    form = InstructorApplicationForm(request.POST or None)
    if request.method == "POST" and pending is None and form.is_valid():
        try:
            instructor_services.apply_to_teach(request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Thank you! We will e-mail you when your application has been reviewed.")
            return redirect("marketplace:apply_to_teach")
    return render(request, "marketplace/apply.html", {"form": form, "pending": pending, "last": last})


def instructor_required(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_instructor:
            messages.info(request, "The studio is for instructors. Apply to teach first.")
            return redirect("marketplace:apply_to_teach")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _own_course_or_404(request, pk: int) -> Course:
    course = selectors.studio_course(request.user, pk)
    if course is None:
        raise Http404("No such course in your studio.")
    return course


@instructor_required
def studio(request):
    return render(request, "marketplace/studio/list.html", {"courses": selectors.courses_taught(request.user)})


@instructor_required
def studio_course_new(request):
    form = CourseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = course_services.create_course(request.user, **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc, COURSE_FIELD_MAP)
        else:
            messages.success(request, "Course created. Now add modules and lessons.")
            return redirect("marketplace:studio_course", pk=course.pk)
    return render(request, "marketplace/studio/course_form.html", {"form": form, "course": None})


@instructor_required
def studio_course(request, pk):
    course = _own_course_or_404(request, pk)
    return render(
        request,
        "marketplace/studio/course.html",
        {"course": course, "problems": course_services.review_problems(course)},
    )


@instructor_required
def studio_course_edit(request, pk):
    course = _own_course_or_404(request, pk)
    form = CourseForm(request.POST or None, request.FILES or None, initial=CourseForm.initial_for(course))
    if request.method == "POST" and form.is_valid():
        try:
            updated = course_services.update_course(course, by=request.user, **form.service_fields())
        except DomainError as exc:
            add_domain_error(form, exc, COURSE_FIELD_MAP)
        else:
            messages.success(request, _saved_message("Course saved.", course, updated))
            return redirect("marketplace:studio_course", pk=course.pk)
    return render(request, "marketplace/studio/course_form.html", {"form": form, "course": course})


def _saved_message(done: str, before: Course, after: Course) -> str:
    """`after` is the course the service returned (or attached to the module or lesson): no query for its status."""
    if before.status == Course.Status.PUBLISHED and after.status == Course.Status.DRAFT:
        return (
            f"{done} The course is a draft again: it is hidden from the catalogue and not on sale until you "
            "submit your changes for review and a reviewer approves them. Enrolled learners keep their access."
        )
    return done


@require_POST
@instructor_required
def studio_course_action(request, pk, action):
    course = _own_course_or_404(request, pk)
    actions = {
        "submit": (course_services.submit_for_review, "Submitted for review. We will e-mail you the decision."),
        "withdraw": (course_services.withdraw_from_review, "Withdrawn from review; you can edit it again."),
        "archive": (course_services.archive_course, "Course archived. Enrolled learners keep access."),
    }
    if action not in actions:
        raise Http404("Unknown action.")
    service, done = actions[action]
    try:
        service(course, by=request.user)
    except DomainError as exc:
        for problem in exc.fields.get("course", []) or [exc.message]:
            messages.error(request, problem)
    else:
        messages.success(request, done)
    return redirect("marketplace:studio_course", pk=course.pk)


@instructor_required
def studio_module_form(request, course_pk, pk=None):
    course = _own_course_or_404(request, course_pk)
    module = get_object_or_404(Module, pk=pk, course=course) if pk else None
    form = ModuleForm(request.POST or None, initial={"title": module.title} if module else None)
    if request.method == "POST" and form.is_valid():
        try:
            if module:
                saved = course_services.update_module(module, by=request.user, title=form.cleaned_data["title"])
            else:
                saved = course_services.add_module(course, by=request.user, title=form.cleaned_data["title"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _saved_message("Module saved.", course, saved.course))
            return redirect("marketplace:studio_course", pk=course.pk)
    return render(request, "marketplace/studio/module_form.html", {"form": form, "course": course, "module": module})


@instructor_required
def studio_lesson_form(request, course_pk, module_pk, pk=None):
    course = _own_course_or_404(request, course_pk)
    module = get_object_or_404(Module, pk=module_pk, course=course)
    lesson = get_object_or_404(Lesson, pk=pk, module=module) if pk else None
    initial = (
        {
            "title": lesson.title,
            "body": lesson.body,
            "video_url": lesson.video_url,
            "duration_minutes": lesson.duration_minutes,
            "is_preview": lesson.is_preview,
        }
        if lesson
        else None
    )
    form = LessonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if lesson:
                saved = course_services.update_lesson(lesson, by=request.user, **form.cleaned_data)
            else:
                saved = course_services.add_lesson(module, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _saved_message("Lesson saved.", course, saved.course))
            return redirect("marketplace:studio_course", pk=course.pk)
    return render(
        request,
        "marketplace/studio/lesson_form.html",
        {"form": form, "course": course, "module": module, "lesson": lesson},
    )
