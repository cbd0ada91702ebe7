"""Licensing's surface for the other apps: import from here, never from licensing's inner modules.

What it offers:
    ``seats_in_use_total()`` — seats bought and in use over live licences, and how many licences (one
    aggregate query: cheap enough for a metrics scrape).
"""

from .selectors import seats_in_use_total

__all__ = ["seats_in_use_total"]
