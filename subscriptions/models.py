"""Tiers, features, subscriptions and the Entitlement rows that answer "may this user do X"."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Interval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Annual"


class Feature(models.Model):
    code = models.SlugField(max_length=50, unique=True, help_text="Used in code: has_feature(user, code).")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tier(models.Model):
    FREE = "free"

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(unique=True, help_text="Higher is a better tier; Free is 0.")
    currency = models.CharField(max_length=3, default="usd")
    monthly_price = models.PositiveIntegerField(default=0, help_text="Minor units (cents) per month.")
    annual_price = models.PositiveIntegerField(default=0, help_text="Minor units (cents) per year.")
    stripe_product_id = models.CharField(max_length=255, blank=True)
    stripe_monthly_price_id = models.CharField(max_length=255, blank=True)
    stripe_annual_price_id = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True, help_text="Offered on the pricing page.")
    features = models.ManyToManyField(Feature, through="TierFeature", related_name="tiers", blank=True)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(code="free") | Q(monthly_price=0, annual_price=0, order=0),
                name="subscriptions_tier_free_costs_nothing",
            ),
            models.CheckConstraint(
                condition=Q(code="free") | Q(monthly_price__gt=0, annual_price__gt=0),
                name="subscriptions_tier_paid_has_prices",
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[a-z]{3}$"), name="subscriptions_tier_currency_iso"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.code == self.FREE

    def price(self, interval: str) -> int:
        return self.annual_price if interval == Interval.YEAR else self.monthly_price

    def price_id(self, interval: str) -> str:
        return self.stripe_annual_price_id if interval == Interval.YEAR else self.stripe_monthly_price_id

    def lookup_key(self, interval: str) -> str:
        return f"lyceum_{self.code}_{interval}ly"


class TierFeature(models.Model):
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="tier_features")
    feature = models.ForeignKey(Feature, on_delete=models.CASCADE, related_name="tier_features")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tier", "feature"], name="subscriptions_tierfeature_unique")]
        verbose_name = "tier feature"

    def __str__(self) -> str:
        return f"{self.tier} → {self.feature}"


class Subscription(models.Model):
    """Our copy of one Stripe subscription; re-read from Stripe on every event (Stripe is the billing truth)."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete", "Incomplete"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        CANCELED = "canceled", "Canceled"

    LIVE_STATUSES = (Status.ACTIVE, Status.PAST_DUE)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="subscriptions")
    interval = models.CharField(max_length=5, choices=Interval.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INCOMPLETE)
    stripe_subscription_id = models.CharField(max_length=255, unique=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    pending_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="pending_subscriptions"
    )
    pending_interval = models.CharField(max_length=5, choices=Interval.choices, blank=True)
    pending_effective_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(
        null=True, blank=True, help_text="Access kept while a failed renewal is retried."
    )
    last_renewal_invoice_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["active", "past_due"]),
                name="subscriptions_one_live_subscription_per_user",
            ),
            models.CheckConstraint(
                condition=Q(pending_tier__isnull=True, pending_interval="", pending_effective_at__isnull=True)
                | (Q(pending_tier__isnull=False, pending_effective_at__isnull=False) & ~Q(pending_interval="")),
                name="subscriptions_pending_change_complete",
            ),
            models.CheckConstraint(
                condition=Q(current_period_end__isnull=True)
                | Q(current_period_start__isnull=True)
                | Q(current_period_end__gt=F("current_period_start")),
                name="subscriptions_period_ordered",
            ),
        ]
        indexes = [models.Index(fields=["status", "tier"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.tier} ({self.get_interval_display()}, {self.get_status_display()})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    @property
    def price(self) -> int:
        return self.tier.price(self.interval)

    @property
    def monthly_value(self) -> int:
        """What this subscription is worth per month, in minor units (annual / 12, rounded down)."""
        if self.interval == Interval.YEAR:
            return self.tier.annual_price // 12
        return self.tier.monthly_price


class Entitlement(models.Model):
    """A user may use a tier's features from valid_from until valid_until (open-ended when null)."""

    class Source(models.TextChoices):
        SUBSCRIPTION = "subscription", "Subscription"
        LICENCE_SEAT = "licence_seat", "Licence seat"
        TOKEN_REDEMPTION = "token_redemption", "Token redemption"
        STAFF_GRANT = "staff_grant", "Staff grant"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entitlements")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="entitlements")
    source = models.CharField(max_length=20, choices=Source.choices)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="entitlements"
    )
    reference = models.CharField(max_length=120, blank=True, help_text="What granted it, e.g. seat:12.")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="subscriptions_entitlement_window_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(source="subscription") | Q(subscription__isnull=False),
                name="subscriptions_entitlement_subscription_linked",
            ),
            models.CheckConstraint(
                condition=~Q(source="staff_grant") | ~Q(reason=""),
                name="subscriptions_entitlement_staff_grant_reason",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""),
                name="subscriptions_entitlement_revoke_reason",
            ),
            models.UniqueConstraint(
                fields=["subscription", "valid_from"],
                condition=Q(subscription__isnull=False),
                name="subscriptions_entitlement_one_segment_per_start",
            ),
        ]
        indexes = [models.Index(fields=["user", "valid_from", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.tier} via {self.get_source_display()}"
