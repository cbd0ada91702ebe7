"""The embedded default: SQLite, e-mail to the console, the Stripe emulator, eager tasks."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:12111")
# The emulator serves the hosted Checkout and onboarding pages that our forms redirect to.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = ["'self'", STRIPE_API_BASE]  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
