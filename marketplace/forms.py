from decimal import Decimal

from django import forms

from billing.interface import MoneyError, parse_amount
from config.errors import DomainError

from .models import COURSE_CURRENCIES, Category, Course
from .selectors import SORTS, CatalogueFilters
from .validators import ALLOWED_COVER_TYPES


def add_domain_error(form: forms.Form, exc: DomainError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's message next to the fields it names (or at the top of the form)."""
    field_map = field_map or {}
    placed = False
    for field, messages in (exc.fields or {}).items():
        name = field_map.get(field, field)
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
                placed = True
            else:
                form.add_error(None, message)
                placed = True
    if not placed:
        form.add_error(None, exc.message)


def cents_from_text(value: str) -> int | None:
    """ "19.99" → 1999; an empty value → None (billing's money helper does the parsing)."""
    try:
        return parse_amount(value, "usd")
    except MoneyError as exc:
        raise forms.ValidationError(str(exc)) from None


class InstructorApplicationForm(forms.Form):
    expertise = forms.CharField(max_length=200, help_text="What you teach, e.g. “Python for data analysis”.")
    bio = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="At least 50 characters: your experience and why learners should learn from you.",
    )


class CourseForm(forms.Form):
    title = forms.CharField(max_length=120, help_text="5 to 120 characters.")
    subtitle = forms.CharField(max_length=200, required=False, help_text="One line, up to 200 characters.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        help_text="Markdown. At least 50 characters before you submit for review.",
    )
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    level = forms.ChoiceField(choices=Course.Level.choices)
    language = forms.ChoiceField(choices=Course.Language.choices)
    price = forms.CharField(
        required=False,
        label="Price",
        help_text="Leave empty or 0 for a free course; otherwise between 1.00 and 1,000.00.",
    )
    currency = forms.ChoiceField(choices=COURSE_CURRENCIES)
    in_pro_library = forms.BooleanField(
        required=False, label="Include in the Pro library", help_text="Pro subscribers can take it without buying."
    )
    cover_image = forms.FileField(required=False, help_text=f"{ALLOWED_COVER_TYPES}, at most 2 MB.")

    def clean_price(self) -> int:
        return cents_from_text(self.cleaned_data.get("price", "")) or 0

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["price_amount"] = data.pop("price")
        if not data.get("cover_image"):
            data.pop("cover_image", None)
        return data

    @classmethod
    def initial_for(cls, course: Course) -> dict:
        return {
            "title": course.title,
            "subtitle": course.subtitle,
            "description": course.description,
            "category": course.category_id,
            "level": course.level,
            "language": course.language,
            "price": f"{course.price_amount / 100:.2f}" if course.price_amount else "",
            "currency": course.currency,
            "in_pro_library": course.in_pro_library,
        }


COURSE_FIELD_MAP = {"price_amount": "price"}


class ModuleForm(forms.Form):
    title = forms.CharField(max_length=120, help_text="3 to 120 characters.")


class LessonForm(forms.Form):
    title = forms.CharField(max_length=120, help_text="3 to 120 characters.")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, label="Text (Markdown)")
    video_url = forms.CharField(required=False, label="Video link", help_text="Optional, e.g. https://…")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", initial=5, help_text="1 to 600.")
    is_preview = forms.BooleanField(required=False, label="Free preview", help_text="Anyone can open this lesson.")


class CatalogueForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    category = forms.SlugField(required=False)
    level = forms.ChoiceField(choices=[("", "Any level"), *Course.Level.choices], required=False)
    min_price = forms.CharField(required=False, label="Min price")
    max_price = forms.CharField(required=False, label="Max price")
    free = forms.BooleanField(required=False, label="Free only")
    pro = forms.BooleanField(required=False, label="In the Pro library")
    min_rating = forms.TypedChoiceField(
        choices=[("", "Any rating"), ("4.5", "4.5 and up"), ("4", "4 and up"), ("3", "3 and up")],
        required=False,
        coerce=Decimal,
        empty_value=None,
        label="Rating",
    )
    sort = forms.ChoiceField(
        choices=[
            ("", "Best match / popular"),
            ("popular", "Most popular"),
            ("newest", "Newest"),
            ("rating", "Highest rated"),
            ("price", "Price: low to high"),
            ("-price", "Price: high to low"),
        ],
        required=False,
    )

    def clean_min_price(self):
        return cents_from_text(self.cleaned_data.get("min_price"))

    def clean_max_price(self):
        return cents_from_text(self.cleaned_data.get("max_price"))

    def filters(self) -> CatalogueFilters:
        data = self.cleaned_data
        return CatalogueFilters(
            q=data.get("q") or "",
            category=data.get("category") or "",
            level=data.get("level") or "",
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            free=True if data.get("free") else None,
            pro_library=True if data.get("pro") else None,
            min_rating=data.get("min_rating"),
            sort=data.get("sort") if data.get("sort") in SORTS else "",
        )


class RejectCourseForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        min_length=10,
        max_length=2000,
        help_text="Sent to the instructor: say what to change (10 to 2000 characters).",
    )


class RefundRequestForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=3,
        max_length=2000,
        label="Why do you want a refund?",
        help_text="3 to 2000 characters. It helps us improve the course.",
    )


class ApproveRefundForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=2000,
        label="Note to the learner",
        help_text="Sent to the learner with the approval (up to 2000 characters).",
    )


class DeclineRefundForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        min_length=10,
        max_length=2000,
        label="Note to the learner",
        help_text="Sent to the learner: say why the refund is declined (10 to 2000 characters).",
    )


class ReviewForm(forms.Form):
    # Ranges and lengths are checked by the reviews service, whose messages the form then shows.
    rating = forms.TypedChoiceField(
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
        label="Your rating",
        error_messages={"invalid_choice": "Choose a rating from 1 to 5 stars."},
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="Your review",
        help_text="Plain text, 10 to 2000 characters: what did you learn, and who is this course for?",
    )


class ReviewReplyForm(forms.Form):
    reply = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Your reply",
        help_text="Plain text, up to 2000 characters. You can reply once to each review.",
    )


class HideReviewForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=5,
        max_length=500,
        help_text="Why these reviews are hidden (kept for the record, not shown publicly; 5 to 500 characters).",
    )


class LedgerCorrectionForm(forms.Form):
    """A correcting entry for an instructor's balance (the ledger is never edited)."""

    direction = forms.ChoiceField(
        choices=[("credit", "Credit the instructor (add)"), ("debit", "Debit the instructor (take away)")],
        widget=forms.RadioSelect,
    )
    amount = forms.CharField(label="Amount", help_text="In the balance's currency, e.g. 12.50.")
    bucket = forms.ChoiceField(choices=[("available", "Available"), ("pending", "Pending")], initial="available")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=5,
        max_length=255,
        help_text="Why (kept on the entry; 5 to 255 characters).",
    )
    # One form, one correction: a double submit of the same form posts it once.
    key = forms.CharField(widget=forms.HiddenInput)
