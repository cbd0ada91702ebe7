from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .organisations import Organisation

TERM_CHOICES = [(12, "12 months"), (24, "24 months"), (36, "36 months")]
MAX_SEATS = 10_000


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    INVOICE = "invoice", "Invoice (net 30)"


class Quote(models.Model):
    """A "Talk to sales" request and what Sales made of it: requested → quoted → accepted / expired / lost."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        QUOTED = "quoted", "Quoted"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        LOST = "lost", "Lost"

    OPEN_STATUSES = (Status.REQUESTED, Status.QUOTED)

    company = models.CharField(max_length=120)
    contact_name = models.CharField(max_length=120)
    contact_email = models.EmailField("contact e-mail")
    seats_wanted = models.PositiveIntegerField()
    term_months = models.PositiveSmallIntegerField(choices=TERM_CHOICES)
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    message = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    # The secret in the quote link; the page also needs a signed-in account.
    token = models.CharField(max_length=64, unique=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quotes",
        help_text="Set when the quote is for an existing customer, or on acceptance.",
    )
    accepted_version = models.OneToOneField(
        "QuoteVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lost_reason = models.CharField(max_length=255, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="When it was accepted, expired or lost.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("work_quote", "Can prepare, send, revise and close quotes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_wanted__gte=1, seats_wanted__lte=MAX_SEATS), name="licensing_quote_seats_range"
            ),
            models.CheckConstraint(condition=Q(term_months__in=[12, 24, 36]), name="licensing_quote_term"),
            models.CheckConstraint(
                condition=~Q(status="accepted")
                | Q(accepted_version__isnull=False, accepted_at__isnull=False, organisation__isnull=False),
                name="licensing_quote_accepted_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | ~Q(lost_reason=""), name="licensing_quote_lost_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.company}"

    @property
    def reference(self) -> str:
        return f"Q-{self.pk:05d}" if self.pk else "Q-new"


class QuoteVersion(models.Model):
    """One priced offer. A revision is a new version; older ones stay readable and can no longer be accepted.

    The money is computed once, when the version is prepared (services.quotes.price_quote), and stored:
    the page, the e-mail and the Stripe price all read these columns, so they cannot disagree.
    """

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    seats = models.PositiveIntegerField()
    term_months = models.PositiveSmallIntegerField(choices=TERM_CHOICES)
    currency = models.CharField(max_length=3)
    unit_price = models.PositiveBigIntegerField(help_text="List price per seat per year, in minor units.")
    discount_bps = models.PositiveIntegerField(default=0, help_text="Discount in basis points (1250 = 12.5%).")
    list_amount = models.PositiveBigIntegerField(help_text="Per seat for the whole term before the discount.")
    unit_amount = models.PositiveBigIntegerField(help_text="Per seat for the whole term after the discount.")
    total = models.PositiveBigIntegerField(help_text="unit_amount × seats: what the buyer pays for the term.")
    payment_method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    start_on_acceptance = models.BooleanField(
        default=True, help_text="Invoice only: the licence starts when accepted, before the invoice is paid."
    )
    valid_until = models.DateField()
    notes = models.TextField(blank=True, help_text="Shown to the buyer on the quote.")
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_price_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["quote", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="licensing_quoteversion_number"),
            models.UniqueConstraint(
                fields=["quote"], condition=Q(superseded_at__isnull=True), name="licensing_one_current_version"
            ),
            models.CheckConstraint(condition=Q(total=F("unit_amount") * F("seats")), name="licensing_quote_total"),
            models.CheckConstraint(condition=Q(unit_amount__lte=F("list_amount")), name="licensing_quote_discounted"),
            models.CheckConstraint(condition=Q(discount_bps__lte=10_000), name="licensing_quote_discount_bps"),
            models.CheckConstraint(
                condition=Q(seats__gte=1, seats__lte=MAX_SEATS, unit_amount__gt=0), name="licensing_quote_priced"
            ),
            models.CheckConstraint(condition=Q(term_months__in=[12, 24, 36]), name="licensing_quoteversion_term"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[a-z]{3}$"), name="licensing_quote_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.quote.reference} v{self.number}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def years(self) -> int:
        return self.term_months // 12
