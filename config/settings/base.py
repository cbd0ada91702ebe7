"""Settings shared by every environment. Values come from the environment (django-environ)."""

import os
from collections.abc import Mapping
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class _NonEmptyEnviron(Mapping):
    """os.environ where `NAME=` counts as unset, so a .env copied from .env.example keeps every default
    (otherwise DATABASE_URL= selects Django's dummy backend and CELERY_TASK_ALWAYS_EAGER= turns eager off)."""

    def __getitem__(self, name: str) -> str:
        value = os.environ[name]
        if value == "":
            raise KeyError(name)
        return value

    def __iter__(self):
        return (name for name, value in os.environ.items() if value != "")

    def __len__(self) -> int:
        return sum(1 for _ in self)


env = environ.Env()
env.ENVIRON = _NonEmptyEnviron()
# A local .env file is optional; the real environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - refused in production
SECRET_KEY = env("SECRET_KEY", default=DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
ENVIRONMENT = env("ENVIRONMENT", default="development")
RELEASE = env("RELEASE", default="dev")

INSTALLED_APPS = [
    "accounts.console_config.ConsoleAdminConfig",  # django.contrib.admin on the console site: accounts/console.py
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "accounts.console_config.EmailAddressesConfig",  # allauth.account, as "E-mail addresses"
    "allauth.mfa",
    "axes",
    "django_altcha",
    "csp",
    "billing.apps.StripeMirrorConfig",  # djstripe, as the console's "Stripe mirror"
    "django_prometheus",
    "auditlog",
    # ours
    "accounts",
    "billing",
    "subscriptions",
    "marketplace",
    "operations",
    "licensing",
    "rewards",
    "support",
]

MIDDLEWARE = [
    "config.middleware.RequestIDMiddleware",
    # /metrics is answered here, before host checks and the HTTPS redirect (see operations.middleware).
    "operations.middleware.MetricsEndpointMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.CSPMiddleware",  # django-csp's, building the policy once
    # Above SharedCacheMiddleware, like the headers above: on every response, from the cache or not.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Anonymous catalogue pages from the shared cache and /healthz, without the middleware below (see the module).
    "config.sharedcache.SharedCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Names who made each audited change and from where (accounts/audit.py); after authentication.
    "accounts.audit.AuditTrailMiddleware",
    "config.middleware.APIErrorMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # AxesMiddleware must be last: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "rewards.context.header",
            ],
        },
    },
]

# Database: DATABASE_URL, or SQLite in the project folder.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# django-prometheus's wrappers count connections, connection errors, queries and their duration.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# Behind PgBouncer in transaction mode (deploy/k8s) a server-side cursor (QuerySet.iterator()) would outlive
# its transaction's server connection: turn them off there.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite as a served database: the webhook, the return from Checkout and an eager task touch the same rows at
# once. WAL lets readers run beside the one writer; IMMEDIATE takes the write lock when a transaction begins,
# so two transactions never both read and then deadlock upgrading to write (the instant "database is locked"
# that no timeout can wait out); the busy timeout makes a second writer wait its turn instead of failing.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):  # Django's or django-prometheus's wrapper
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}

# Cache and Celery broker: Redis when REDIS_URL is set, otherwise in-process.
# Production runs two Redis roles (docs/deploy.md): the cache may evict (allkeys-lru); the broker must not
# (noeviction, persistence on). Each has its own URL; REDIS_URL is the fallback for both.
# The "state" cache holds what must not be evicted but is not a Celery message: API throttle counters,
# CAPTCHA replay marks and locks. Point REDIS_STATE_URL at the non-evicting Redis (another DB number than
# the broker's: clearing a Django cache flushes its whole DB). Unset, it shares the cache's URL.
REDIS_URL = env("REDIS_URL", default="")
REDIS_CACHE_URL = env("REDIS_CACHE_URL", default=REDIS_URL)
REDIS_STATE_URL = env("REDIS_STATE_URL", default=REDIS_CACHE_URL)


def redis_cache(url: str, key_prefix: str = "") -> dict:
    """A django-redis cache, or a local-memory one when no URL is given (the embedded default)."""
    if not url:
        # Local memory, counting hits and misses for the cache hit ratio (operations/cache.py).
        return {"BACKEND": "operations.cache.LocMemCache", "LOCATION": key_prefix or "default"}
    return {
        # django-redis, counting hits and misses for the cache hit ratio.
        "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }


CACHES = {"default": redis_cache(REDIS_CACHE_URL), "state": redis_cache(REDIS_STATE_URL, key_prefix="state")}
ALTCHA_CACHE_ALIAS = "state"

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# Leaderboards (rewards): Redis sorted sets on the non-evicting Redis; unset, ranks come from the database.
REWARDS_BOARDS_REDIS_URL = env("REWARDS_BOARDS_REDIS_URL", default=REDIS_STATE_URL)
# A message a killed worker had taken is handed to another worker after this many seconds (Redis broker).
# It must exceed the longest task run and retry countdown (10 minutes), or a task runs twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Instructor payouts: balances below this (minor units) wait for the next run.
PAYOUT_MINIMUM_CENTS = env.int("PAYOUT_MINIMUM_CENTS", default=1000)
CELERY_BEAT_SCHEDULE: dict = {
    "reconcile-payments": {"task": "billing.tasks.reconcile_recent_payments", "schedule": 15 * 60},
    # Failed webhook events with their backoff over, and ones a lost worker left processing (billing.webhooks).
    "redrive-stripe-events": {"task": "billing.tasks.redrive_stripe_events", "schedule": 60},
    "release-matured-earnings": {"task": "marketplace.tasks.release_matured_earnings", "schedule": 60 * 60},
    "pay-out-instructors": {"task": "marketplace.tasks.pay_out_instructors", "schedule": 24 * 60 * 60},
    "suspend-unpaid-licences": {"task": "licensing.tasks.suspend_unpaid_licences", "schedule": 60 * 60},
    "expire-licences-and-quotes": {"task": "licensing.tasks.expire_licences_and_quotes", "schedule": 60 * 60},
    # Rewards: the league week closes at Monday 00:00 UTC; streak freezes and evening reminders hourly.
    "close-league-weeks": {
        "task": "rewards.tasks.close_league_weeks",
        "schedule": crontab(minute=0, hour=0, day_of_week=1),
    },
    "rewards-streaks": {"task": "rewards.tasks.streaks_hourly", "schedule": crontab(minute=5)},
    # Renewal notices 60, 30 and 7 days before a licence's term ends, once each (licensing.services.renewals).
    "send-renewal-notices": {"task": "licensing.tasks.send_renewal_notices", "schedule": 6 * 60 * 60},
    # Notices at 80% and 100% of the seats and of the monthly API calls, once each (licensing.services.usage).
    "check-usage-limits": {"task": "licensing.tasks.check_usage_limits", "schedule": 60 * 60},
    # SLA warnings at 75% and breaches at 100% of each target, once each (support.services.check_slas).
    "check-support-slas": {"task": "support.tasks.check_slas", "schedule": 5 * 60},
    # Proves beat -> broker -> worker alive (lyceum_celery_heartbeat_timestamp_seconds, launch_check).
    "celery-heartbeat": {"task": "operations.tasks.heartbeat", "schedule": 60},
}
# Licence keys are signed with Ed25519 keys kept encrypted with a key derived from this (default: SECRET_KEY).
LICENCE_SIGNING_SECRET = env("LICENCE_SIGNING_SECRET", default="")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any other backend runs.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "marketplace:my_learning"  # signing in lands on My learning (or on `next`)
LOGOUT_REDIRECT_URL = "home"

# django-allauth: e-mail is the login, verification is mandatory.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {"login_failed": None}  # axes owns the lockout rule
ACCOUNT_FORMS = {
    "signup": "accounts.forms.SignupForm",
    "login": "accounts.forms.LoginForm",
}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# Multi-factor authentication: an authenticator app (TOTP) and recovery codes, for everyone from the
# profile; required for staff before the console (accounts/mfa.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Lyceum"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Lyceum] "

# django-axes: lock the account+IP pair after 5 failures for 30 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "accounts.security.axes_username"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_RESET_ON_SUCCESS = True
# How many reverse proxies in front of the site append to X-Forwarded-For: the client's address is the one the
# outermost of them saw (axes, DRF's throttles and the audit trail all read it so).
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
# allauth's own rate limits (sign-in 30/min, sign-up, password reset per address) read the client's address
# themselves: without this, behind a proxy every visitor would share the proxy's address and its limits.
ALLAUTH_TRUSTED_PROXY_COUNT = PROXY_COUNT
AXES_VERBOSE = False

# ALTCHA: proof-of-work CAPTCHA, no third party.
ALTCHA_HMAC_KEY = env("ALTCHA_HMAC_KEY", default="dev-altcha-hmac-key")
ALTCHA_CHALLENGE_EXPIRE = 20 * 60 * 1000
ALTCHA_MAX_NUMBER = env.int("ALTCHA_MAX_NUMBER", default=50_000)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# STATIC_URL may be a CDN origin (https://cdn.example/static/) that pulls from this site's /static/:
# WhiteNoise serves hashed names with far-future immutable caching and CORS, and the CSP allows the origin.
STATIC_URL = env("STATIC_URL", default="/static/")
if not STATIC_URL.endswith("/"):
    STATIC_URL += "/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Uploads (course covers, logos, attachments): an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set,
# so every instance sees every file; MEDIA_ROOT on local disk otherwise (one instance only).
from config.deployment import media_origins, origin_of, s3_storage  # noqa: E402

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default="")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="")
AWS_S3_CUSTOM_DOMAIN = env("AWS_S3_CUSTOM_DOMAIN", default="")
AWS_S3_ADDRESSING_STYLE = env("AWS_S3_ADDRESSING_STYLE", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = s3_storage(
        bucket=AWS_STORAGE_BUCKET_NAME,
        endpoint_url=AWS_S3_ENDPOINT_URL,
        region=AWS_S3_REGION_NAME,
        custom_domain=AWS_S3_CUSTOM_DOMAIN,
        addressing_style=AWS_S3_ADDRESSING_STYLE,
        location=env("AWS_LOCATION", default="media"),
        link_seconds=env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
    )

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Lyceum <hello@lyceum.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the contact form (people without priority support) is delivered.
SUPPORT_CONTACT_EMAIL = env("SUPPORT_CONTACT_EMAIL", default="support@lyceum.test")


def _api_rate(value: str) -> str | None:
    """A DRF throttle rate such as "100/minute". Only the explicit value "off" lifts the limit (DRF lets every
    request through when a rate is None): the load benchmark in bench/ needs that, since all of its requests
    come from one IP. Unset keeps the default."""
    value = value.strip()
    return None if value.lower() == "off" else value


# REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.APIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": ["config.api.AnonRateThrottle", "config.api.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _api_rate(env("API_ANON_RATE", default="100/minute")),
        "user": _api_rate(env("API_USER_RATE", default="1000/minute")),
    },
    # Without it DRF trusts any X-Forwarded-For, so a caller could pick a new "IP" per request.
    "NUM_PROXIES": PROXY_COUNT,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.FormParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lyceum API",
    "DESCRIPTION": (
        "Payments, subscriptions, courses and rewards for the Lyceum learning platform. "
        "Authenticate with a personal API key: `Authorization: Bearer <key>`. "
        'Every error has the shape `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKeyAuth": {"type": "http", "scheme": "bearer", "description": "A personal API key."}}
    },
    "SECURITY": [{"ApiKeyAuth": []}],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.document_bad_page",
    ],
    # Several models have a field named "status": give each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "PaymentStatusEnum": "billing.models.Payment.Status",
        "RefundStatusEnum": "billing.models.Refund.Status",
        "CourseStatusEnum": "marketplace.models.Course.Status",
        "PayoutStatusEnum": "marketplace.models.Payout.Status",
        "RefundRequestStatusEnum": "marketplace.models.RefundRequest.Status",
        "RefundOutcomeEnum": "marketplace.api.studio.REFUND_OUTCOMES",
        "IntervalEnum": "subscriptions.models.Interval",
        "TicketStatusEnum": "support.models.Ticket.Status",
        "TicketUpdateStatusEnum": "support.api.serializers.CUSTOMER_STATUS_CHOICES",
    },
}

# Content Security Policy: no inline scripts or styles, nothing from other origins but the static files'
# CDN (STATIC_URL) and the uploads' bucket.
_STATIC_ORIGINS = [origin] if (origin := origin_of(STATIC_URL)) else []
_MEDIA_ORIGINS = media_origins(
    bucket=AWS_STORAGE_BUCKET_NAME,
    custom_domain=AWS_S3_CUSTOM_DOMAIN,
    endpoint_url=AWS_S3_ENDPOINT_URL,
    region=AWS_S3_REGION_NAME,
    addressing_style=AWS_S3_ADDRESSING_STYLE,
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", *_STATIC_ORIGINS],
        "style-src": ["'self'", *_STATIC_ORIGINS],
        "img-src": ["'self'", "data:", *_STATIC_ORIGINS, *_MEDIA_ORIGINS],
        "font-src": ["'self'", *_STATIC_ORIGINS],
        "connect-src": ["'self'"],
        # ALTCHA solves its proof of work in a worker built from a blob.
        "worker-src": ["'self'", "blob:"],
        "frame-ancestors": ["'none'"],
        # Forms post to us and we redirect to Stripe's hosted Checkout and Connect onboarding pages;
        # the CSP checks redirect targets of a form submission too.
        "form-action": [
            "'self'",
            *env.list("STRIPE_REDIRECT_ORIGINS", default=["https://checkout.stripe.com", "https://connect.stripe.com"]),
        ],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(self), usb=()"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Stripe (the billing app is the only user of these).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_LyceumDevelopmentKey000000000")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="pk_test_LyceumDevelopmentKey000000000")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_API_VERSION = "2026-08-26.dahlia"
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10)
# The SDK retries connection failures with the same idempotency key, so a retry never charges twice.
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
# Seconds between a declined card and the "did not go through" e-mail; paying in the meantime cancels it.
PAYMENT_FAILED_EMAIL_DELAY = env.int("PAYMENT_FAILED_EMAIL_DELAY", default=600)
STRIPE_TEST_SECRET_KEY = STRIPE_SECRET_KEY if not STRIPE_LIVE_MODE else ""
STRIPE_LIVE_SECRET_KEY = STRIPE_SECRET_KEY if STRIPE_LIVE_MODE else ""
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
# dj-stripe's migrations plus a squashed one that builds its schema in seconds on a new database.
MIGRATION_MODULES = {"djstripe": "billing.djstripe_migrations"}

SENTRY_DSN = env("SENTRY_DSN", default="")
# Share of requests and tasks traced for Sentry performance (0 to 1).
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
# Sentry Crons: a check-in per beat job (monitor slug = the CELERY_BEAT_SCHEDULE name), so a silent
# scheduler is noticed. The minute heartbeat is left out (Prometheus watches it).
SENTRY_MONITOR_BEAT_TASKS = env.bool("SENTRY_MONITOR_BEAT_TASKS", default=True)
SENTRY_EXCLUDE_BEAT_TASKS = ["celery-heartbeat"]

# Operations (operations/): who may read /metrics, the worker's and beat's exporters, the launch check.
METRICS_PATH = "/metrics"
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
METRICS_BEHIND_PROXY = PROXY_COUNT > 0
METRICS_EXPORTER_PORT = env.int("METRICS_EXPORTER_PORT", default=0)
METRICS_EXPORTER_ADDRESS = env("METRICS_EXPORTER_ADDRESS", default="127.0.0.1")
LAUNCH_CHECK_EMAIL_TO = env("LAUNCH_CHECK_EMAIL_TO", default="")
LAUNCH_CHECK_PING_TIMEOUT = env.float("LAUNCH_CHECK_PING_TIMEOUT", default=2.0)


def _check_networks(networks: list[str]) -> list[str]:
    import ipaddress

    from django.core.exceptions import ImproperlyConfigured

    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {network!r} is not a network such as 10.0.0.0/8")
    return networks


_check_networks(METRICS_ALLOWED_NETWORKS)

# /.well-known/security.txt: where researchers report vulnerabilities (a mailto: or https: URI).
SECURITY_CONTACT = env("SECURITY_CONTACT", default="mailto:security@lyceum.test")
SECURITY_POLICY_URL = env("SECURITY_POLICY_URL", default="")

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="text")  # "json" in production


def build_logging(fmt: str, level: str) -> dict:
    formatter = (
        {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logging.RequestIDFilter"}},
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "axes": {"level": "WARNING"},
            "stripe": {"level": "WARNING"},
        },
    }


LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)

# Sentry starts with the settings so both the web process and the Celery worker report.
from config.sentry import init_sentry  # noqa: E402

init_sentry(
    SENTRY_DSN,
    ENVIRONMENT,
    RELEASE,
    traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    monitor_beat_tasks=SENTRY_MONITOR_BEAT_TASKS,
    exclude_beat_tasks=SENTRY_EXCLUDE_BEAT_TASKS,
)

# The audit trail of staff and organisation-admin actions: which models, and how (accounts/audit.py).
from accounts.audited_models import AUDITED_MODELS  # noqa: E402

AUDITLOG_INCLUDE_TRACKING_MODELS = AUDITED_MODELS
AUDITLOG_STORE_JSON_CHANGES = True
AUDITLOG_DISABLE_ON_RAW_SAVE = True  # fixtures and `loaddata` are not staff actions
