"""A Stripe API emulator for development and tests (never used in production).

Start it with ``python -m stripe_emulator --port 12111``; see README.md.
"""

from .shapes import API_VERSION

__all__ = ["API_VERSION"]
