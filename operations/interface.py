"""What operations offers the other apps (import only from here). It imports no app, so any app may use it.

- `metrics`: the recording functions to call where a thing happens (payment_event, stripe_call,
  webhook_received, webhook_processed, reconciliation_finished, payout_attempt, tokens_issued, tokens_spent ...);
- `register_gauges(name, collect, exports=[...])`: gauges computed when Prometheus scrapes, built with
  `GaugeMetricFamily`;
- `register_launch_check(name, label, run)`: an item of manage.py launch_check returning a `Verdict`;
- `record_check(kind, passed=..., summary=...)`, `latest_check(kind)`, `latest_checks(kinds)`: results of
  operational checks run outside the site (backups, restore drills, dependency audits), and `KINDS`, the
  kinds launch_check requires with their maximum age.
"""

from prometheus_client.core import GaugeMetricFamily

from . import metrics
from .checks import KINDS
from .registry import Verdict, register_gauges, register_launch_check
from .selectors import latest_check, latest_checks
from .services import record_check

__all__ = [
    "KINDS",
    "GaugeMetricFamily",
    "Verdict",
    "latest_check",
    "latest_checks",
    "metrics",
    "record_check",
    "register_gauges",
    "register_launch_check",
]
