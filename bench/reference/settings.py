"""A naive Django + DRF project over Lyceum's own course tables, served beside the site by bench/run.sh.

It is what a first Django site would be: only Django, Django REST framework, psycopg and gunicorn; two
middlewares; a `ListAPIView` with `select_related` and a five-field `ModelSerializer`, paginated with DRF's
`PageNumberPagination` (a COUNT and a page query per request); search with `icontains`; a plain JSON view.
It reads the same 10,000 courses from the same database (its models are unmanaged views of Lyceum's tables),
so the two differ only in the code between the socket and PostgreSQL. It imports nothing from Lyceum.
"""

import os
import secrets
from urllib.parse import unquote, urlsplit

DEBUG = False
SECRET_KEY = os.environ.get("REFERENCE_SECRET_KEY") or secrets.token_urlsafe(50)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.reference.urls"
WSGI_APPLICATION = "bench.reference.wsgi.application"
INSTALLED_APPS = ["rest_framework", "bench.reference"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]


def _database(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # As Lyceum's production settings: persistent connections (CONN_MAX_AGE=60).
        "CONN_MAX_AGE": 60,
    }


DATABASES = {"default": _database(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
REST_FRAMEWORK = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
}
