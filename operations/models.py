"""Results of operational checks that run outside the site: backups, restore drills, dependency audits.

Append-only: every run adds a row, nothing is edited or deleted. `launch_check` reads the newest row
of each kind. Record one with `manage.py record_check` (see operations/__init__.py).
"""

from django.db import models


class OperationalCheck(models.Model):
    kind = models.SlugField(max_length=40, help_text="What was checked, e.g. backup, restore_drill, dependency_audit.")
    passed = models.BooleanField()
    summary = models.CharField(max_length=255, help_text="One line a person reads in the console and launch_check.")
    details = models.JSONField(default=dict, blank=True, help_text="Figures of the run (sizes, row counts, ...).")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(db_index=True, help_text="When the check finished (its result's date).")
    recorded_by = models.CharField(max_length=120, blank=True, help_text="Host or job that recorded it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-finished_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-finished_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(started_at__isnull=True) | models.Q(started_at__lte=models.F("finished_at")),
                name="operationalcheck_started_before_finished",
            )
        ]

    def __str__(self) -> str:
        outcome = "passed" if self.passed else "FAILED"
        return f"{self.kind} {outcome} at {self.finished_at:%Y-%m-%d %H:%M} UTC"
