"""Production settings. Refuses to start when a required variable is missing or unsafe."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEFAULT_SECRET_KEY, env


def production_problems(environ: dict[str, str]) -> list[str]:
    """Every reason the given environment is not fit for production, in one list."""
    problems: list[str] = []

    def missing(name: str) -> bool:
        if not environ.get(name, "").strip():
            problems.append(f"{name} is required")
            return True
        return False

    if not missing("SECRET_KEY"):
        key = environ["SECRET_KEY"]
        if key == DEFAULT_SECRET_KEY or key.startswith(("dev-", "test-")):
            problems.append("SECRET_KEY is the development default; generate a new one")
        elif len(key) < 50 or len(set(key)) < 5:
            problems.append("SECRET_KEY is too weak (use at least 50 random characters)")
    if environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        problems.append("DEBUG must be off in production")
    if not missing("ALLOWED_HOSTS") and "*" in environ["ALLOWED_HOSTS"].split(","):
        problems.append("ALLOWED_HOSTS must not contain '*'")
    if not missing("DATABASE_URL") and environ["DATABASE_URL"].startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL, not SQLite")
    missing("REDIS_URL")
    if not missing("SITE_URL") and not environ["SITE_URL"].startswith("https://"):
        problems.append("SITE_URL must be an https:// address")
    if not missing("ALTCHA_HMAC_KEY") and environ["ALTCHA_HMAC_KEY"].startswith("dev-"):
        problems.append("ALTCHA_HMAC_KEY is the development default")

    live = environ.get("STRIPE_LIVE_MODE", "").strip().lower() in {"1", "true", "yes", "on"}
    if not missing("STRIPE_SECRET_KEY"):
        secret = environ["STRIPE_SECRET_KEY"]
        if live and not secret.startswith(("sk_live_", "rk_live_")):
            problems.append("STRIPE_SECRET_KEY is a test key but STRIPE_LIVE_MODE is on")
        if not live and not secret.startswith(("sk_test_", "rk_test_")):
            problems.append("STRIPE_SECRET_KEY is a live key but STRIPE_LIVE_MODE is off")
    if not missing("STRIPE_PUBLISHABLE_KEY"):
        publishable = environ["STRIPE_PUBLISHABLE_KEY"]
        if live and not publishable.startswith("pk_live_"):
            problems.append("STRIPE_PUBLISHABLE_KEY is a test key but STRIPE_LIVE_MODE is on")
        if not live and not publishable.startswith("pk_test_"):
            problems.append("STRIPE_PUBLISHABLE_KEY is a live key but STRIPE_LIVE_MODE is off")
    if live and environ.get("STRIPE_API_BASE", "").strip():
        problems.append("STRIPE_API_BASE must be unset in live mode (it points at an emulator)")
    return problems


_problems = production_problems(dict(os.environ))
if _problems:
    raise ImproperlyConfigured("Production settings refused to start:\n" + "\n".join(f"  - {p}" for p in _problems))

DEBUG = False
ENVIRONMENT = env("ENVIRONMENT", default="production")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)  # noqa: F405

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CONN_MAX_AGE = 60
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
EMAIL_CONFIG = env.email("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
