"""Support tickets with SLA clocks. Policies, targets and calendars are data: staff tune them in the console."""

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .clock import Hours


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


PRIORITY_ORDER = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class BusinessCalendar(models.Model):
    """Working hours and holidays an SLA counts in."""

    name = models.CharField(max_length=80, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    weekdays = models.JSONField(default=list, help_text="Working days, 0 = Monday … 6 = Sunday, e.g. [0, 1, 2, 3, 4].")
    opens_at = models.TimeField(default=time(9, 0))
    closes_at = models.TimeField(default=time(17, 0))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="support_calendar_day")
        ]

    def __str__(self) -> str:
        return self.name

    def hours(self) -> Hours:
        holidays = frozenset(h.date for h in self.holidays.all())
        return Hours(self.timezone, frozenset(self.weekdays), self.opens_at, self.closes_at, holidays)


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="support_one_holiday_per_day")]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%-d %b %Y})"


class SLAPolicy(models.Model):
    """The promise for one plan (tier code): targets per priority, in a calendar's hours or around the clock."""

    name = models.CharField(max_length=80)
    tier_code = models.CharField(max_length=30, unique=True, help_text="The plan it applies to, e.g. enterprise.")
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text="Count in these business hours; empty: around the clock.",
    )

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class SLATarget(models.Model):
    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    first_response_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "priority"], name="support_one_target_per_priority"),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0)
                & Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="support_target_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.get_priority_display()}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting on customer"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_tickets")
    organisation = models.ForeignKey(
        "licensing.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The requester's organisation when they asked as one of its members.",
    )
    subject = models.CharField(max_length=200)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets"
    )
    policy = models.ForeignKey(SLAPolicy, on_delete=models.PROTECT, null=True, blank=True)
    attachment = models.FileField(upload_to="support/%Y/%m/", blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(blank=True, max_length=2000)
    rated_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="When it began waiting on the customer.")
    solved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("work_ticket", "Reply to, assign and set the status of support tickets")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="support_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"T-{self.pk:05d}"


class TicketMessage(models.Model):
    """The description, a reply, or an internal note (staff only, never shown to the customer)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10_000)
    internal = models.BooleanField(default=False)
    from_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket} · {'note' if self.internal else 'message'} by {self.author}"


class SLAClock(models.Model):
    """One target of one ticket: when it warns (75%) and is due (100%), and what happened, once each.

    While the ticket waits on the customer the clock is paused: `*_left_minutes` keep what was left of the
    target (in the policy's hours) and the due times are recomputed from them when the customer answers."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", "First response"
        RESOLUTION = "resolution", "Resolution"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    target_minutes = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    warn_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    warn_left_minutes = models.PositiveIntegerField(null=True, blank=True)
    due_left_minutes = models.PositiveIntegerField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="support_one_clock_per_kind"),
            models.CheckConstraint(
                condition=Q(due_at__isnull=False) | Q(due_left_minutes__isnull=False) | Q(met_at__isnull=False),
                name="support_clock_running_paused_or_met",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} · {self.get_kind_display()}"

    @property
    def paused(self) -> bool:
        return self.met_at is None and self.due_at is None

    @property
    def breached(self) -> bool:
        return self.breached_at is not None
