"""What other apps may use of operations (import only from here)."""

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
