from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q

from billing import interface as billing

from .validators import validate_cover_image

MIN_PRICE = 100  # minor units: $1.00
MAX_PRICE = 100_000  # minor units: $1,000.00
COURSE_CURRENCIES = [("usd", "USD"), ("eur", "EUR"), ("gbp", "GBP")]


class Category(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=70, unique=True)
    description = models.CharField(max_length=255, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Course(models.Model):
    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"
        ALL = "all", "All levels"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        FRENCH = "fr", "French"
        GERMAN = "de", "German"
        SPANISH = "es", "Spanish"
        PORTUGUESE = "pt", "Portuguese"
        ITALIAN = "it", "Italian"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    subtitle = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="courses", null=True, blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    price_amount = models.PositiveIntegerField(default=0, help_text="In minor units (cents); 0 means free.")
    currency = models.CharField(max_length=3, choices=COURSE_CURRENCIES, default="usd")
    in_pro_library = models.BooleanField(
        "in the Pro library", default=False, help_text="Pro subscribers can take it without buying it."
    )
    cover_image = models.FileField(upload_to="courses/covers/", blank=True, validators=[validate_cover_image])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    rejection_reason = models.TextField(blank=True)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_taught")
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    rating_count = models.PositiveIntegerField(default=0)
    enrollment_count = models.PositiveIntegerField(default=0)
    # On PostgreSQL a trigger keeps it up to date and a GIN index serves it (migration 0002); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        permissions = [("review_course", "Can approve or reject courses in review")]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_amount=0) | Q(price_amount__gte=MIN_PRICE, price_amount__lte=MAX_PRICE),
                name="course_price_free_or_in_bounds",
            ),
            models.CheckConstraint(condition=Q(currency__in=["usd", "eur", "gbp"]), name="course_currency_known"),
            models.CheckConstraint(
                condition=Q(rating_average__gte=0, rating_average__lte=5), name="course_rating_in_range"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="course_published_has_date",
            ),
        ]
        # The catalogue only ever lists published courses: partial indexes keep them small.
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="course_status_submitted"),
            models.Index(fields=["instructor", "-created_at"], name="course_instructor_created"),
            models.Index(fields=["-published_at"], name="course_pub_newest", condition=Q(status="published")),
            models.Index(fields=["-enrollment_count"], name="course_pub_popular", condition=Q(status="published")),
            models.Index(fields=["-rating_average"], name="course_pub_rating", condition=Q(status="published")),
            models.Index(fields=["price_amount"], name="course_pub_price", condition=Q(status="published")),
            models.Index(
                fields=["category", "-published_at"], name="course_pub_category", condition=Q(status="published")
            ),
            models.Index(fields=["level", "-published_at"], name="course_pub_level", condition=Q(status="published")),
            models.Index(
                fields=["-published_at"], name="course_pub_pro", condition=Q(status="published", in_pro_library=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_free(self) -> bool:
        return self.price_amount == 0

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_under_re_review(self) -> bool:
        """Published before, then edited: hidden from the catalogue until approved again (see update_course)."""
        return self.published_at is not None and self.status in (
            self.Status.DRAFT,
            self.Status.IN_REVIEW,
            self.Status.REJECTED,
        )

    @property
    def is_open_to_learners(self) -> bool:
        """Published courses can be joined; archived ones, and published ones whose edits are being
        reviewed again, stay open to those already enrolled."""
        return self.status in (self.Status.PUBLISHED, self.Status.ARCHIVED) or self.is_under_re_review

    @property
    def price_display(self) -> str:
        from billing.interface import format_money

        return "Free" if self.is_free else format_money(self.price_amount, self.currency)


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["course", "order"], name="module_course_order")]

    def __str__(self) -> str:
        return self.title


class Lesson(models.Model):
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    # Denormalised from module.course so progress and access need no join through modules.
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True, help_text="Markdown.")
    video_url = models.URLField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(default=5)
    is_preview = models.BooleanField("free preview", default=False)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        indexes = [
            models.Index(fields=["module", "order"], name="lesson_module_order"),
            models.Index(fields=["course"], name="lesson_course"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=600), name="lesson_duration_in_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class InstructorApplication(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instructor_applications")
    bio = models.TextField()
    expertise = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decision_note = models.TextField(blank=True, help_text="Shown to the applicant when rejected.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="application_status_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="one_pending_application_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_status_display()})"


class Enrollment(models.Model):
    class Source(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        PRO_LIBRARY = "pro_library", "Pro library"
        FREE = "free", "Free course"
        STAFF = "staff", "Staff grant"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrollments")
    source = models.CharField(max_length=20, choices=Source.choices)
    payment = models.ForeignKey(
        "billing.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="course_enrollments"
    )
    last_lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="enrollment_user_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"], condition=Q(revoked_at__isnull=True), name="one_active_enrollment"
            ),
            # A payment buys one enrollment, however often its webhook arrives.
            models.UniqueConstraint(fields=["payment"], name="one_enrollment_per_payment"),
            models.CheckConstraint(
                condition=~Q(source="purchase") | Q(payment__isnull=False), name="purchase_enrollment_has_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.course}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LessonProgress(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "lesson progress"
        indexes = [models.Index(fields=["user", "course"], name="progress_user_course")]
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="one_progress_per_lesson")]

    def __str__(self) -> str:
        return f"{self.user} completed {self.lesson}"


def new_certificate_code() -> str:
    """120 random bits in 24 unambiguous upper-case characters: printable, and unguessable."""
    import base64
    import secrets

    return base64.b32encode(secrets.token_bytes(15)).decode()


class CourseCompletion(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField()
    # Printed on the certificate; /certificates/<code>/ proves it genuine to anyone who has it.
    certificate_code = models.CharField(max_length=32, unique=True, default=new_certificate_code, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "course"], name="one_completion_per_course")]

    def __str__(self) -> str:
        return f"{self.user} completed {self.course}"


class Review(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_reviews")
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(blank=True)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=500, blank=True, help_text="Why staff hid it (not shown publicly).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["course", "-created_at"], name="review_visible", condition=Q(hidden_at__isnull=True))
        ]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="one_review_per_learner"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.course} by {self.user}"


# Earnings and payouts ----------------------------------------------------------------------
# The rules (instructor share, pending window, refunds, payouts) live in services/earnings.py and
# services/payouts.py; these tables only hold the facts and the constraints that keep them sound.


class RevenueShareRule(models.Model):
    """How a sale's gross is split. The rule for the instructor's tier wins; the default rule applies otherwise."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    instructor_bps = models.PositiveIntegerField(
        "instructor share (basis points)", help_text="7000 = 70% to the instructor, the rest to the platform."
    )
    tier_code = models.CharField(
        max_length=40,
        blank=True,
        help_text="Applies to instructors entitled to this subscription tier (e.g. enterprise); blank = the default.",
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tier_code", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(instructor_bps__gte=0, instructor_bps__lte=billing.BPS), name="share_rule_bps_in_range"
            ),
            models.UniqueConstraint(
                fields=["tier_code"], condition=Q(is_active=True), name="one_active_share_rule_per_tier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({billing.format_bps(self.instructor_bps)} to the instructor)"


class Sale(models.Model):
    """A course sold, with its split frozen at fulfilment: later rule changes never touch it."""

    payment = models.OneToOneField("billing.Payment", on_delete=models.PROTECT, related_name="course_sale")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sales")
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_sales")
    gross = models.PositiveBigIntegerField(help_text="In minor units.")
    currency = models.CharField(max_length=3)
    rule_code = models.CharField(max_length=40, help_text="The revenue-share rule used.")
    instructor_bps = models.PositiveIntegerField()
    instructor_amount = models.PositiveBigIntegerField()
    platform_amount = models.PositiveBigIntegerField()
    available_at = models.DateTimeField(help_text="End of the refund window: the share becomes available.")
    # Set (with the two release entries) when the refund window ends; the split itself never changes.
    released_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["instructor", "-created_at"], name="sale_instructor_created"),
            models.Index(fields=["available_at"], name="sale_awaiting_release", condition=Q(released_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(instructor_amount__lte=F("gross")) & Q(platform_amount=F("gross") - F("instructor_amount")),
                name="sale_parts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} sold for {billing.format_money(self.gross, self.currency)}"


class InstructorBalance(models.Model):
    """The running totals of an instructor's ledger in one currency, updated under select_for_update().

    `available` never goes negative: a refund that reverses a share already released (or paid out)
    takes what it can from `available` and records the rest as `debt`, which later earnings repay
    before anything becomes available again. So `available - debt` always equals the sum of the
    available entries, and `pending` the sum of the pending ones (see `verify_earnings`).
    """

    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="earnings_balances")
    currency = models.CharField(max_length=3)
    pending = models.BigIntegerField(default=0)
    available = models.BigIntegerField(default=0)
    debt = models.BigIntegerField(default=0, help_text="Reversed after release; repaid from future earnings.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["instructor_id", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["instructor", "currency"], name="one_balance_per_instructor_currency"),
            models.CheckConstraint(condition=Q(available__gte=0), name="balance_available_not_negative"),
            models.CheckConstraint(condition=Q(pending__gte=0), name="balance_pending_not_negative"),
            models.CheckConstraint(condition=Q(debt__gte=0), name="balance_debt_not_negative"),
            models.CheckConstraint(condition=Q(available=0) | Q(debt=0), name="balance_debt_repaid_first"),
        ]

    def __str__(self) -> str:
        return f"{self.instructor} · {self.currency.upper()}"


class Payout(models.Model):
    """Money sent to an instructor's connected account with one Stripe transfer (idempotency key: this id)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed (will retry)"
        CANCELED = "canceled", "Canceled (returned to balance)"

    # Money out of the available balance but not yet at Stripe: at most one such payout per currency.
    OPEN_STATUSES = (Status.PENDING, Status.FAILED)

    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    stripe_account_id = models.CharField(max_length=255)
    stripe_transfer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["instructor", "-created_at"], name="payout_instructor_created"),
            models.Index(fields=["status"], name="payout_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False, stripe_transfer_id__isnull=False),
                name="payout_paid_has_transfer",
            ),
            # One unsettled payout per instructor and currency: a failed one is retried, never duplicated.
            models.UniqueConstraint(
                fields=["instructor", "currency"],
                condition=Q(status__in=["pending", "failed"]),
                name="one_open_payout_per_instructor_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"Payout {self.pk} to {self.instructor} ({self.get_status_display()})"


class EarningsEntry(models.Model):
    """One append-only line of an instructor's ledger. Never edited or deleted; mistakes get a correction.

    `bucket` says which part of the balance the entry moves. The end of the refund window is recorded
    as a pair of `release` entries (out of pending, into available), so the ledger alone explains
    every balance.
    """

    class Kind(models.TextChoices):
        SALE = "sale", "Sale"
        RELEASE = "release", "Refund window over"
        REFUND_REVERSAL = "refund_reversal", "Refund reversal"
        PAYOUT = "payout", "Payout"
        PAYOUT_REVERSAL = "payout_reversal", "Payout returned"
        CORRECTION = "correction", "Correction"

    class Bucket(models.TextChoices):
        PENDING = "pending", "Pending"
        AVAILABLE = "available", "Available"

    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="earnings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    bucket = models.CharField(max_length=10, choices=Bucket.choices)
    amount = models.BigIntegerField(help_text="Signed, in minor units.")
    currency = models.CharField(max_length=3)
    idempotency_key = models.CharField(max_length=120, unique=True)
    sale = models.ForeignKey(Sale, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    refund = models.ForeignKey(
        "billing.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="earnings_entries"
    )
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "earnings entries"
        indexes = [models.Index(fields=["instructor", "currency", "bucket"], name="earnings_balance_sum")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="earnings_entry_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=["sale", "refund_reversal", "release"]) | Q(sale__isnull=False),
                name="earnings_entry_sale_reference",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["payout", "payout_reversal"]) | Q(payout__isnull=False),
                name="earnings_entry_payout_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {billing.format_money(self.amount, self.currency)} ({self.bucket})"


class RefundRequest(models.Model):
    """A learner's refund request outside the self-service policy, decided by staff in admin."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="refund_requests")
    payment = models.ForeignKey("billing.Payment", on_delete=models.PROTECT, related_name="course_refund_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_refund_requests")
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Why the policy did not grant it at once, e.g. "Bought 31 days ago" (shown to staff).
    policy_note = models.CharField(max_length=255, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True, help_text="Sent to the learner.")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="refund_request_status_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"], condition=Q(status="pending"), name="one_open_refund_request_per_enrollment"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False), name="refund_request_decided_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund request by {self.user} for {self.enrollment.course}"
