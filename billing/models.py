import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Customer(models.Model):
    """Our user's one Stripe Customer, created lazily and exactly once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="billing_customer")
    stripe_customer_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.stripe_customer_id})"


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"

    class Mode(models.TextChoices):
        PAYMENT = "payment", "One-time payment"
        SUBSCRIPTION = "subscription", "Subscription"

    PAID_STATUSES = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(max_length=40, help_text="Which app sells this, e.g. course or subscription.")
    reference = models.CharField(max_length=120, blank=True, help_text="The thing bought, e.g. course:42.")
    description = models.CharField(max_length=255)
    line_items = models.JSONField(default=list, help_text="What was bought: name, amount, quantity, price.")
    amount = models.PositiveBigIntegerField(help_text="In minor units (cents).")
    currency = models.CharField(max_length=3)
    amount_refunded = models.PositiveBigIntegerField(default=0)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.PAYMENT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=255, blank=True, help_text="In plain words, shown to the payer.")
    receipt_number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    stripe_invoice_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2048, blank=True)
    # While the payment's Checkout may still be paid: "<user>:<purpose>:<scope>". Unique, so a buyer has one
    # open checkout per thing bought (a second "Buy" resumes or replaces it); cleared once paid or closed.
    open_checkout_key = models.CharField(max_length=255, unique=True, null=True, blank=True, editable=False)
    # What Stripe says it charged, compared with amount/currency (a mismatch is flagged and logged).
    stripe_amount = models.PositiveBigIntegerField(null=True, blank=True, help_text="What Stripe charged.")
    stripe_currency = models.CharField(max_length=3, blank=True)
    amount_mismatch = models.BooleanField(default=False, db_index=True, help_text="Stripe charged another amount.")
    # Set when the payment must be given back in full instead of fulfilled (a course bought twice).
    auto_refund_reason = models.CharField(max_length=255, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        # Who holds these: accounts/permission_table.py.
        permissions = [("refund_payment", "Can refund payments"), ("view_revenue", "Can see the revenue dashboard")]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["purpose", "status"]),
            models.Index(fields=["succeeded_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount_refunded__lte=F("amount")), name="payment_refund_within_amount"),
            # Every invoice Stripe charges is one Payment (the first one's Checkout payment, or one of its own).
            models.UniqueConstraint(
                fields=["stripe_invoice_id"], condition=~Q(stripe_invoice_id=""), name="payment_one_per_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number or str(self.id)[:8]} · {self.description}"

    @property
    def is_paid(self) -> bool:
        return self.status in self.PAID_STATUSES

    @property
    def refundable_amount(self) -> int:
        return self.amount - self.amount_refunded if self.is_paid else 0

    @property
    def net_amount(self) -> int:
        return self.amount - self.amount_refunded


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        STAFF = "staff", "Staff (console)"
        API = "api", "API"
        POLICY = "policy", "Self-service policy"
        STRIPE = "stripe", "Made in Stripe"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.STAFF)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    failure_message = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="When the purpose's revoke handler ran.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund {self.pk} of {self.payment_id}"


class ReceiptSequence(models.Model):
    """Receipt numbers are sequential per year: LYC-2026-000001."""

    year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class StripeEvent(models.Model):
    """Every Stripe event we received, with how its processing went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        SUCCEEDED = "succeeded", "Processed"
        FAILED = "failed", "Failed"
        IGNORED = "ignored", "Nothing to do"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    livemode = models.BooleanField(default=False)
    object_id = models.CharField(max_length=255, blank=True, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    mirror_error = models.TextField(blank=True, help_text="dj-stripe mirroring problem (does not block processing).")
    trigger_id = models.BigIntegerField(null=True, blank=True, help_text="dj-stripe WebhookEventTrigger row.")
    stripe_created = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # When the re-drive beat job processes it again if it has not succeeded by then (a failure's backoff, or a
    # worker lost mid-processing); cleared once processed or given up (after REDRIVE_FOR, with an alert).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "Stripe event"
        # Only the few events waiting for a re-drive (built concurrently: migration 0005).
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="billing_event_next_attempt",
                condition=models.Q(next_attempt_at__isnull=False),
            )
        ]
        permissions = [("replay_stripeevent", "Can replay Stripe events")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class ConnectedAccount(models.Model):
    """A user's Stripe Express account, to receive payouts."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="connected_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.stripe_account_id})"

    @property
    def can_receive_payouts(self) -> bool:
        return self.payouts_enabled and self.details_submitted


class IdempotencyKey(models.Model):
    """The first response to a POST sent with an Idempotency-Key, replayed for the same key and body."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.key} ({self.endpoint})"
