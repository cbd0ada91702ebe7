"""The audit trail of staff and organisation-admin actions (django-auditlog).

What is recorded: every create, change and delete of the models in ``accounts.audited_models`` — money
(payments, refunds, payouts, earnings corrections, revenue-share rules), access (staff status, groups and
permissions, entitlements, enrolments, API keys, authenticator apps, organisation memberships, seats,
licences), review (courses, applications to teach, course reviews, refund requests) and configuration
(tiers, features, categories, staff groups' permissions, licence signing keys). Each entry says who (the
signed-in user, or the owner of the API key the request carried), what (the object and the before/after of
each changed field, secrets masked or left out), when, and from where (the client's address as the trusted
proxies report it, never a forgeable X-Forwarded-For). Changes made by the system (webhooks, Celery tasks)
have no actor.

Append-only: the console shows entries read-only and offers no delete (``accounts.admin``); on PostgreSQL
the database itself refuses to change or delete an entry (migration 0004), except for clearing the actor
when a staff account is deleted.
"""

from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware
from django.conf import settings


def client_address(request) -> str | None:
    """The client's address as the trusted proxies (PROXY_COUNT of them) saw it, like DRF's throttles and
    axes: with no proxy it is the socket's peer; behind N proxies it is the N-th address from the right
    of X-Forwarded-For. Anything a client wrote further left is ignored."""
    proxies = getattr(settings, "PROXY_COUNT", 0)
    forwarded = request.headers.get("X-Forwarded-For", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or None


class AuditTrailMiddleware(AuditlogMiddleware):
    """Auditlog's middleware with the project's idea of the client's address (auditlog's own trusts the
    first X-Forwarded-For hop, which any client can write)."""

    @staticmethod
    def _get_remote_addr(request):
        if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
            return None
        return client_address(request)

    @staticmethod
    def _get_remote_port(request):
        return None


def attribute_to(user) -> None:
    """Name ``user`` as the actor of the changes this request makes, once authentication that runs after
    the middleware (a Bearer API key, in DRF) has found them. Does nothing outside a request."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    if context.get("actor") is None:
        context["actor"] = user
