"""Support's surface for the other apps (none use it yet).

What it offers:
    ``eligibility(user)`` — may this person open tickets with an SLA, and under which plan's policy (None: the
    help page and the contact form instead).
"""

from .services import eligibility

__all__ = ["eligibility"]
