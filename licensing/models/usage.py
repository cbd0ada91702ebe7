"""Usage an organisation's licence is measured on: API calls per month by its keys, and which limit notices
(80% and 100% of the seats or of the monthly API calls) were sent, once each per period."""

from django.db import models
from django.db.models import Q

from .organisations import Organisation


class ApiUsage(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="api_usage")
    period = models.DateField(help_text="The first day of the month (UTC).")
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "-period"]
        constraints = [models.UniqueConstraint(fields=["organisation", "period"], name="licensing_one_usage_row")]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.calls} API calls in {self.period:%B %Y}"


class LimitNotice(models.Model):
    class Kind(models.TextChoices):
        SEATS = "seats", "Seats"
        API_CALLS = "api_calls", "API calls per month"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="limit_notices")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period = models.CharField(max_length=40, help_text="The licence term (seats) or the month (API calls).")
    threshold = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "period", "threshold"], name="licensing_one_limit_notice_each"
            ),
            models.CheckConstraint(condition=Q(threshold__in=[80, 100]), name="licensing_limit_notice_threshold"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_kind_display()} at {self.threshold}% ({self.period})"
