"""What other apps may use from licensing (nothing imports licensing today; observability reads this)."""

from .selectors import seats_in_use_total

__all__ = ["seats_in_use_total"]
