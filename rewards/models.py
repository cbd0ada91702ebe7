"""The token ledger, earning rules, streaks, leagues, follows and the shop.

Tokens are points, not money: never bought, never transferred, never paid out. The ledger follows DESIGN.md:
append-only entries with a unique idempotency key and their cause; one balance row per learner updated in the
same transaction under a row lock; the database forbids a negative balance. Every write is in services/.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.interface import Course


class EarningRule(models.Model):
    """How many tokens a learning event earns. Staff edit these; each award freezes the values it used."""

    LESSON = "lesson_completed"
    COURSE = "course_completed"
    FIRST_COURSE = "first_course"
    STREAK_PREFIX = "streak_"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    tokens = models.PositiveIntegerField(help_text="Tokens for the event (before any tier boost).")
    per_lesson = models.PositiveIntegerField(default=0, help_text="Courses: extra tokens per lesson of the course.")
    cap = models.PositiveIntegerField(null=True, blank=True, help_text="Courses: at most this many tokens.")
    streak_days = models.PositiveIntegerField(
        null=True, blank=True, unique=True, help_text="Streak milestones: the streak length that earns this bonus."
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class TokenBoost(models.Model):
    """Tier data: the multiplier a tier's `token_boost` feature applies to earnings (basis points, 10000 = ×1)."""

    tier_code = models.SlugField(max_length=40, unique=True)
    multiplier_bps = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["multiplier_bps"]
        constraints = [models.CheckConstraint(condition=Q(multiplier_bps__gte=10000), name="boost_at_least_x1")]

    def __str__(self) -> str:
        return f"{self.tier_code} ×{self.multiplier_bps / 10000:g}"


class Program(models.Model):
    """The programme's settings staff may tune (one row)."""

    daily_cap = models.PositiveIntegerField(default=200, help_text="Most tokens a learner earns per day.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "rewards programme"

    def __str__(self) -> str:
        return "Rewards programme"


class TokenBalance(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="token_balance")
    balance = models.BigIntegerField(default=0)
    owed = models.BigIntegerField(default=0, help_text="Reversals the balance could not cover: taken from earnings.")
    lifetime_earned = models.BigIntegerField(default=0, help_text="Earned minus reversed: the all-time board.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="token_balance_not_negative"),
            models.CheckConstraint(condition=Q(owed__gte=0), name="token_owed_not_negative"),
        ]
        indexes = [models.Index(fields=["-lifetime_earned", "user"], name="token_balance_rank")]

    def __str__(self) -> str:
        return f"{self.user} · {self.balance} tokens"


class TokenEntry(models.Model):
    """One movement of tokens. Never edited or deleted: a mistake is fixed by a correction."""

    class Kind(models.TextChoices):
        EARNED = "earned", "Earned"
        BONUS = "bonus", "Bonus"
        SPENT = "spent", "Spent"
        REVERSED = "reversed", "Reversed"
        EXPIRED = "expired", "Expired"
        CORRECTION = "correction", "Correction"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="token_entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.BigIntegerField(help_text="Signed: what the balance moved by.")
    owed_change = models.BigIntegerField(default=0, help_text="What the debt moved by (reversals, repayments).")
    idempotency_key = models.CharField(max_length=200, unique=True)
    cause = models.CharField(max_length=100, help_text="What caused it: lesson:12, course:3, streak:7, item:...")
    rule_code = models.CharField(max_length=40, blank=True)
    # The rule's values frozen on the award: base tokens, the tier's multiplier, what the daily cap removed.
    base_amount = models.BigIntegerField(default=0)
    multiplier_bps = models.PositiveIntegerField(default=10000)
    capped = models.BigIntegerField(default=0, help_text="Tokens the daily cap held back.")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    redemption = models.ForeignKey(
        "Redemption", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    reverses = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals")
    local_date = models.DateField(help_text="The learner's calendar day (their time zone) it happened on.")
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "token entries"
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="token_entry_history"),
            models.Index(fields=["user", "local_date"], name="token_entry_day"),
            models.Index(fields=["user", "course"], name="token_entry_course"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["earned", "bonus"]) | Q(amount__gte=0), name="token_earning_not_negative"
            ),
            models.CheckConstraint(condition=~Q(kind="spent") | Q(amount__lt=0), name="token_spend_negative"),
            models.CheckConstraint(condition=~Q(kind="correction") | ~Q(note=""), name="token_correction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.kind} ({self.cause})"

    @property
    def boost_display(self) -> str:
        return f"×{self.multiplier_bps / 10000:g}"


class Streak(models.Model):
    """A learner's streak: days in a row (their own calendar) with at least one lesson, kept by freezes."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="streak")
    current = models.PositiveIntegerField(default=0)
    longest = models.PositiveIntegerField(default=0)
    started_on = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True, help_text="The last day kept (learned or frozen).")
    freezes = models.PositiveSmallIntegerField(default=0)
    reminded_on = models.DateField(null=True, blank=True, help_text="The last day a streak-at-risk e-mail went.")
    league_level = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(freezes__lte=2), name="streak_at_most_two_freezes"),
            models.CheckConstraint(condition=Q(league_level__gte=1, league_level__lte=10), name="league_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.current} days"


class LearningDay(models.Model):
    """A calendar day (the learner's) with learning, or one kept by a freeze."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_days")
    day = models.DateField()
    lessons = models.PositiveIntegerField(default=0)
    frozen = models.BooleanField(default=False, help_text="Missed, and kept by a streak freeze.")

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_learning_day")]

    def __str__(self) -> str:
        return f"{self.user} · {self.day}"


class Follow(models.Model):
    """A learner follows another; two follows both ways make friends."""

    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following")
    followed = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followed"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=models.F("followed")), name="no_self_follow"),
        ]

    def __str__(self) -> str:
        return f"{self.follower} follows {self.followed}"


class LeagueWeek(models.Model):
    """A league week: Monday 00:00 UTC to the next Monday."""

    starts_on = models.DateField(unique=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"Week of {self.starts_on}"


class LeagueGroup(models.Model):
    week = models.ForeignKey(LeagueWeek, on_delete=models.PROTECT, related_name="groups")
    level = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    size = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["week", "level", "number"]
        constraints = [
            models.UniqueConstraint(fields=["week", "level", "number"], name="league_group_number"),
            models.CheckConstraint(condition=Q(size__lte=30), name="league_group_at_most_30"),
        ]

    def __str__(self) -> str:
        return f"{self.week} · level {self.level} · group {self.number}"


class LeagueMember(models.Model):
    class Outcome(models.TextChoices):
        PROMOTED = "promoted", "Promoted"
        STAYED = "stayed", "Stayed"
        DEMOTED = "demoted", "Demoted"

    week = models.ForeignKey(LeagueWeek, on_delete=models.PROTECT, related_name="members")
    group = models.ForeignKey(LeagueGroup, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="league_memberships")
    tokens = models.BigIntegerField(default=0)
    joined_at = models.DateTimeField()
    final_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["-tokens", "joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["week", "user"], name="one_group_per_week")]
        indexes = [models.Index(fields=["group", "-tokens"], name="league_member_rank")]

    def __str__(self) -> str:
        return f"{self.user} · {self.tokens} tokens"


class ShopItem(models.Model):
    class Kind(models.TextChoices):
        STREAK_FREEZE = "streak_freeze", "Streak freeze"
        PRO_DAYS = "pro_days", "Days of Pro"
        COURSE_COUPON = "course_coupon", "Course coupon"
        BADGE = "badge", "Profile badge"

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    price = models.PositiveIntegerField(help_text="In tokens.")
    stock = models.PositiveIntegerField(null=True, blank=True, help_text="Left to redeem; empty: unlimited.")
    per_learner_limit = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    available_from = models.DateTimeField(null=True, blank=True)
    available_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    days = models.PositiveSmallIntegerField(default=7, help_text="Days of Pro.")
    percent_off = models.PositiveSmallIntegerField(default=20, help_text="Course coupons.")
    badge_label = models.CharField(max_length=40, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "price"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="shop_price_positive"),
            models.CheckConstraint(condition=Q(percent_off__gte=1, percent_off__lte=100), name="shop_percent_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Being granted"
        GRANTED = "granted", "Granted"
        REFUNDED = "refunded", "Refunded (not granted)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="redemptions")
    item = models.ForeignKey(ShopItem, on_delete=models.PROTECT, related_name="redemptions")
    key = models.CharField(max_length=200, unique=True, help_text="The learner's idempotency key.")
    price = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GRANTED)
    detail = models.CharField(max_length=300, blank=True, help_text="What was granted (entitlement, code).")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    coupon_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "item"], name="redemption_per_learner")]

    def __str__(self) -> str:
        return f"{self.user} · {self.item}"
