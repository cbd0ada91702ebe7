"""The Support console: the queue sorted by time to breach, replies and internal notes, status, assignment,
SLA attainment; SLA policies and calendars as data. Every change to a ticket is a service call."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin_tools import run_on_each
from config.errors import DomainError

from . import selectors, services
from .models import BusinessCalendar, Holiday, SLAClock, SLAPolicy, SLATarget, Ticket, TicketMessage

STATUS_CHOICES = [(s.value, s.label) for s in Ticket.Status if s != Ticket.Status.NEW]


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), label="Message", max_length=10_000)
    internal = forms.BooleanField(required=False, label="Internal note (the customer never sees it)")
    status = forms.ChoiceField(choices=[("", "Leave as it is"), *STATUS_CHOICES], required=False, label="Then set")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_CHOICES, label="New status")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, label="Assign to", empty_label="Nobody")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model().objects.filter(is_active=True, is_staff=True, groups__name=services.SUPPORT_GROUP)
        ).order_by("email")


class MessageInline(admin.StackedInline):
    model = TicketMessage
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "kind", "body"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Kind")
    def kind(self, obj):
        return "Internal note" if obj.internal else ("Reply" if obj.from_staff else "Customer")


class ClockInline(admin.TabularInline):
    model = SLAClock
    extra = 0
    can_delete = False
    fields = ["kind", "target_minutes", "started_at", "warn_at", "due_at", "due_left_minutes", "met_at",
              "warned_at", "breached_at"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _with_form(modeladmin, request, queryset, form_class, *, title, submit, apply, done):
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        run_on_each(
            modeladmin,
            request,
            queryset,
            lambda t: apply(t, form.cleaned_data),
            done=done,
            noun="ticket",
            label=lambda t: t.reference,
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": "",
        "items": [(t.pk, f"{t.reference} {t.subject}") for t in queryset],
        "action": request.POST.get("action", ""),
        "submit": submit,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/licensing/action_form.html", context)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["reference_display", "subject", "priority", "status", "time_to_breach", "requester",
                    "organisation", "assignee", "created_at"]  # fmt: skip
    list_filter = ["status", "priority", ("assignee", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject", "requester__email", "organisation__name", "=id"]
    readonly_fields = ["reference_display", "subject", "priority", "status", "requester", "organisation", "assignee",
                       "policy", "attachment", "rating", "rating_comment", "rated_at", "paused_at", "solved_at",
                       "created_at", "reply_link"]  # fmt: skip
    fields = readonly_fields
    inlines = [ClockInline, MessageInline]
    actions = ["assign_to_me", "reassign", "set_status"]

    def get_queryset(self, request):
        queue = selectors.staff_queue()
        return (
            queue
            if request.resolver_match and request.resolver_match.url_name.endswith("changelist")
            else (Ticket.objects.select_related("requester", "assignee", "organisation", "policy"))
        )

    def get_ordering(self, request):
        return []  # the queue's order: time to breach

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_work_permission(self, request):
        return request.user.has_perm("support.work_ticket")

    @admin.display(description="Ticket", ordering="id")
    def reference_display(self, obj):
        return obj.reference

    @admin.display(description="Time to breach")
    def time_to_breach(self, obj):
        due = getattr(obj, "next_due", None)
        if due is None:
            return "paused" if obj.paused_at else "—"
        left = due - timezone.now()
        minutes = int(left.total_seconds() // 60)
        if minutes < 0:
            return format_html('<strong class="errornote">breached {} min ago</strong>', -minutes)
        return f"{minutes // 60} h {minutes % 60:02d} min"

    @admin.display(description="Reply")
    def reply_link(self, obj):
        return format_html(
            '<a href="{}">Reply or add an internal note</a>', reverse("admin:support_ticket_reply", args=[obj.pk])
        )

    def get_urls(self):
        return [
            path("<int:pk>/reply/", self.admin_site.admin_view(self.reply_view), name="support_ticket_reply"),
            path("attainment/", self.admin_site.admin_view(self.attainment_view), name="support_ticket_attainment"),
        ] + super().get_urls()

    def reply_view(self, request, pk):
        if not self.has_work_permission(request):
            raise PermissionDenied
        ticket = get_object_or_404(Ticket.objects.select_related("requester"), pk=pk)
        form = ReplyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.staff_reply(
                    ticket,
                    author=request.user,
                    body=data["body"],
                    internal=data["internal"],
                    status=data["status"] or None,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                what = "Internal note added." if data["internal"] else f"Reply sent to {ticket.requester.email}."
                self.message_user(request, what, messages.SUCCESS)
                return redirect("admin:support_ticket_change", ticket.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reply to {ticket.reference}: {ticket.subject}",
            "ticket": ticket,
            "history": ticket.messages.select_related("author"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/support/reply.html", context)

    def attainment_view(self, request):
        report = selectors.attainment()
        for row in report["weeks"] + report["priorities"]:
            row["bar"] = row["percent"] if row["percent"] is not None else 0
        context = {
            **self.admin_site.each_context(request),
            "title": "SLA attainment",
            "report": report,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/support/attainment.html", context)

    @admin.action(description="Assign to me", permissions=["work"])
    def assign_to_me(self, request, queryset):
        run_on_each(
            self,
            request,
            queryset,
            lambda t: services.assign(t, request.user, by=request.user),
            done="assigned to you",
            noun="ticket",
            label=lambda t: t.reference,
        )

    @admin.action(description="Reassign", permissions=["work"])
    def reassign(self, request, queryset):
        return _with_form(
            self, request, queryset, AssignForm, title="Reassign tickets", submit="Reassign",
            apply=lambda t, data: services.assign(t, data["assignee"], by=request.user), done="reassigned",
        )  # fmt: skip

    @admin.action(description="Set the status", permissions=["work"])
    def set_status(self, request, queryset):
        return _with_form(
            self, request, queryset, StatusForm, title="Set the status", submit="Set status",
            apply=lambda t, data: services.set_status(t, data["status"], by=request.user), done="updated",
        )  # fmt: skip

    def changelist_view(self, request, extra_context=None):
        extra = {"attainment_url": reverse("admin:support_ticket_attainment")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


class TargetInline(admin.TabularInline):
    model = SLATarget
    extra = 0
    fields = ["priority", "first_response_minutes", "resolution_minutes"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "tier_code", "calendar"]
    inlines = [TargetInline]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "opens_at", "closes_at", "weekdays"]
    inlines = [HolidayInline]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
