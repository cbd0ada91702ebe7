"""Production settings for the load tests (loadtest/run.py), with the one difference a load generator on the
same machine needs: it speaks plain HTTP to gunicorn on the loopback, where production's proxy would end TLS.
So no HTTPS redirect and no Secure-only cookies (Locust's HTTP client would not send them back over http);
everything else — PostgreSQL, Redis, Celery, middleware, throttles, the audit trail — is production's."""

from config.settings.prod import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
