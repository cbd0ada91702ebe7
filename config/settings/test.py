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
ALTCHA_MAX_NUMBER = 1000
# Each test gets fresh throttling counters; see the autouse fixture in conftest.py.
