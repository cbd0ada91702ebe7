"""What other apps may use of operations (import only from here)."""

from .checks import KINDS
from .selectors import latest_check, latest_checks
from .services import record_check

__all__ = ["KINDS", "latest_check", "latest_checks", "record_check"]
