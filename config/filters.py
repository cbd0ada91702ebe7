"""Query-parameter filters shared by the API's list endpoints."""

from datetime import UTC, timedelta

import django_filters
from django import forms

# The widest offset databases store (PostgreSQL: ±15:59); real time zones stay within -12:00 and +14:00.
MAX_OFFSET = timedelta(hours=15, minutes=59)


class _UTCIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, turned into UTC here. Offsets beyond ±15:59 (Python allows up to ±23:59;
    PostgreSQL refuses them) and dates at the edge of the calendar with no UTC equivalent are a 400."""

    default_error_messages = {
        "invalid": (
            "Enter an ISO 8601 date-time with an offset between -15:59 and +15:59, "
            "e.g. 2026-01-31T09:00:00Z or 2026-01-31T10:00:00+01:00."
        ),
    }

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        if abs(parsed.utcoffset()) > MAX_OFFSET:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """The API's date-time filter: any offset a client sends, compared in UTC (see _UTCIsoDateTimeField)."""

    field_class = _UTCIsoDateTimeField
