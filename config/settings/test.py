"""Settings for the test suite. DATABASE_URL / REDIS_URL select PostgreSQL and Redis in CI."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
STRIPE_API_BASE = env("STRIPE_API_BASE", default="http://127.0.0.1:12111")
# The emulator serves the hosted Checkout and onboarding pages that our forms redirect to.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = ["'self'", STRIPE_API_BASE]  # noqa: F405
ALTCHA_MAX_NUMBER = 1000
# On SQLite the tests use a database file, not Django's in-memory default: the live server's threads then
# have their own connections and really run beside the test, as requests do under `make run`, so the
# browser journeys and the concurrency tests exercise the same locking (WAL, IMMEDIATE) a user gets.
# (Django's engine or django-prometheus's wrapper of it: an in-memory shared-cache database would answer
# concurrent writers "database table is locked" at once instead of waiting its turn.)
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}  # noqa: F405
# Each test gets fresh throttling counters; see the autouse fixture in conftest.py.

# Under pytest-xdist each worker gets its own Redis database, so one worker's cache.clear()
# cannot wipe another's throttle counters.
_worker = env("PYTEST_XDIST_WORKER", default="")
if REDIS_URL and _worker.startswith("gw"):  # noqa: F405
    _db = 1 + int(_worker[2:])
    for _alias in CACHES.values():  # noqa: F405 - the "state" cache too
        if _alias["BACKEND"].startswith("django_redis"):
            _url = _alias["LOCATION"]
            _base = _url.rsplit("/", 1)[0] if _url.count("/") > 2 else _url
            _alias["LOCATION"] = f"{_base}/{_db}"
# The leaderboards' sorted sets live beside the state cache (so a test's cache.clear() clears them too).
if REDIS_URL:  # noqa: F405
    REWARDS_BOARDS_REDIS_URL = CACHES["state"]["LOCATION"]  # noqa: F405
