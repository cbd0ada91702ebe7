"""Licensing's surface for the other apps: import from here, never from licensing's inner modules.

What it offers:
    ``seats_in_use_total()`` — seats bought and in use over live licences, and how many licences (one
    aggregate query: cheap enough for a metrics scrape).
    ``supported_organisation(user)`` — the organisation with an active licence a person asks support as, or
    None; ``admin_organisation_ids(user)`` — the organisations a person administers.
"""

from .selectors import admin_organisation_ids, seats_in_use_total, supported_organisation

__all__ = ["admin_organisation_ids", "seats_in_use_total", "supported_organisation"]
