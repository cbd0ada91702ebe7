import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .organisations import Organisation
from .quotes import PaymentMethod, QuoteVersion

DEFAULT_MAX_ACTIVATIONS = 3


class Licence(models.Model):
    """Seats of a tier for an organisation for a term, paid through one Stripe subscription.

    pending payment → active → expired / cancelled; an active licence whose invoice stays unpaid is
    suspended (and active again once paid). Issue 16's renewals move `term_number`, `term_started_at`
    and `ends_at` on and apply `seats_next_term`.
    """

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    ENDED_STATUSES = (Status.EXPIRED, Status.CANCELLED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="licences")
    quote_version = models.OneToOneField(
        QuoteVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="licence"
    )
    tier_code = models.CharField(max_length=30, default="enterprise")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True)
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    start_on_acceptance = models.BooleanField(default=False)
    seats = models.PositiveIntegerField()
    seats_in_use = models.PositiveIntegerField(default=0, help_text="Active seats, kept by the seat services.")
    seats_next_term = models.PositiveIntegerField(
        null=True, blank=True, help_text="A seat reduction that takes effect at the renewal."
    )
    api_calls_per_month = models.PositiveIntegerField(
        null=True, blank=True, help_text="A hard limit on the organisation's API calls per month; empty: none."
    )
    cancel_at_term_end = models.BooleanField(default=False, help_text="The licence ends at its term's end.")
    cancellation_reason = models.CharField(max_length=500, blank=True)
    currency = models.CharField(max_length=3)
    unit_amount = models.PositiveBigIntegerField(help_text="Per seat for one term, in minor units.")
    term_months = models.PositiveSmallIntegerField()
    term_number = models.PositiveSmallIntegerField(default=1)
    term_started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_activations = models.PositiveSmallIntegerField(default=DEFAULT_MAX_ACTIVATIONS)
    revocation_cap_extra = models.PositiveIntegerField(
        default=0, help_text="Revocations staff allowed this term on top of the 10% rule."
    )
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_subscription_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    stripe_invoice_id = models.CharField(max_length=255, blank=True, help_text="The invoice of this term.")
    invoice_status = models.CharField(max_length=20, blank=True)
    invoice_due_at = models.DateTimeField(null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=2048, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True, help_text="When Stripe said this term was paid.")
    checkout_payment_id = models.UUIDField(null=True, blank=True, help_text="The billing Payment of a card purchase.")
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.CharField(max_length=255, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("extend_licence", "Can extend a licence"),
            ("suspend_licence", "Can suspend and reinstate a licence"),
            ("raise_revocation_cap", "Can raise a licence's revocation cap"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="licensing_licence_has_seats"),
            # The rule the seat services rely on under concurrency: a 51st activation of a 50-seat
            # licence fails here even if two requests both read "49 in use".
            models.CheckConstraint(condition=Q(seats_in_use__lte=F("seats")), name="licensing_seats_in_use_within"),
            models.CheckConstraint(
                condition=Q(seats_next_term__isnull=True)
                | (
                    Q(seats_next_term__gte=1)
                    & Q(seats_next_term__lt=F("seats"))
                    & Q(seats_in_use__lte=F("seats_next_term"))
                ),
                name="licensing_seat_reduction_valid",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(term_started_at__isnull=True)
                | Q(ends_at__gt=F("term_started_at")),
                name="licensing_licence_term_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status="suspended") | Q(suspended_at__isnull=False), name="licensing_suspension_dated"
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(term_started_at__isnull=False, ends_at__isnull=False),
                name="licensing_active_has_term",
            ),
        ]
        indexes = [models.Index(fields=["status", "invoice_due_at"])]

    def __str__(self) -> str:
        return f"{self.organisation} · {self.seats} seats ({self.get_status_display()})"

    @property
    def seats_free(self) -> int:
        return max(self.seats - self.seats_in_use, 0)

    @property
    def is_live(self) -> bool:
        """Members have access: active (suspension and the end cut it)."""
        return self.status == self.Status.ACTIVE


class RenewalNotice(models.Model):
    """One renewal notice (60, 30 or 7 days before a term ends), sent once per term: the row is the proof."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="renewal_notices")
    term_number = models.PositiveSmallIntegerField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["licence", "term_number", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "term_number", "days_before"], name="licensing_one_renewal_notice_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence}: {self.days_before}-day notice, term {self.term_number}"


class LicenceEvent(models.Model):
    """The licence's history: what happened, who did it and why (staff actions always carry a reason)."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} · {self.licence_id}"


class Seat(models.Model):
    """One person's place on a licence: unassigned → invited → active → revoked.

    An invitation does not hold a seat: the seat is taken when it is accepted (and counted in
    `Licence.seats_in_use`, which a database constraint keeps within `Licence.seats`).
    """

    class Status(models.TextChoices):
        UNASSIGNED = "unassigned", "Unassigned"
        INVITED = "invited", "Invited"
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Revoked"

    class Source(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        CSV = "csv", "CSV upload"
        DOMAIN = "domain", "Verified domain"
        API = "api", "Provisioning API"

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="seat_rows")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNASSIGNED, db_index=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.INVITATION)
    email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="licence_seats"
    )
    invitation_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invitation_expires_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=255, blank=True)
    revoked_in_term = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Set when an admin's revocation counts against the term's cap."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["licence", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "user"], condition=Q(status="active"), name="licensing_one_active_seat_per_user"
            ),
            models.UniqueConstraint(
                fields=["licence", "email"],
                condition=Q(status__in=["invited", "active"]),
                name="licensing_one_live_seat_per_email",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(user__isnull=False, activated_at__isnull=False),
                name="licensing_active_seat_has_user",
            ),
            models.CheckConstraint(
                condition=~Q(status="invited") | (~Q(email="") & Q(invitation_digest__isnull=False)),
                name="licensing_invited_seat_has_invitation",
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | (Q(revoked_at__isnull=False) & ~Q(revoke_reason="")),
                name="licensing_revoked_seat_dated",
            ),
        ]
        indexes = [models.Index(fields=["licence", "status"]), models.Index(fields=["email", "status"])]

    def __str__(self) -> str:
        return f"{self.email or 'unassigned'} · {self.get_status_display()}"

    @property
    def reference(self) -> str:
        """How the seat's Entitlement names it."""
        return f"seat:{self.pk}"
