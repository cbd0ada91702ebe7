"""API plumbing shared by every app: the one error format, pagination, throttles."""

from typing import Any

from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, pagination, status, throttling
from rest_framework.response import Response

from .errors import DomainError


def error_body(code: str, message: str, fields: dict | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail) -> Any:
    if isinstance(detail, list):
        return (
            [str(item) for item in detail]
            if all(not isinstance(i, (list, dict)) for i in detail)
            else [_flatten(item) for item in detail]
        )
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    return [str(detail)]


_MESSAGES = {
    "not_authenticated": "Authentication credentials were not provided.",
    "authentication_failed": "The credentials you sent are not valid.",
    "permission_denied": "You do not have permission to do this.",
    "not_found": "Not found.",
    "throttled": "Too many requests. Slow down and try again later.",
}


def exception_handler(exc, context):
    """Render every DRF error as {"error": {"code", "message", "fields"}}."""
    # Imported here: rest_framework.views reads DEFAULT_THROTTLE_CLASSES (this module) at import time,
    # so a module-level import fails whenever config.api happens to be imported first.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = _flatten(detail)
            non_field = fields.pop("non_field_errors", None)
            message = non_field[0] if non_field else "Some fields are not valid; see fields."
            if non_field:
                fields["non_field_errors"] = non_field
        else:
            fields = {}
            items = _flatten(detail)
            message = items[0] if items else "The request is not valid."
        response.data = error_body("validation_error", message, fields)
    else:
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        if not isinstance(code, str):
            code = "error"
        detail = getattr(exc, "detail", "")
        message = str(detail) if detail else _MESSAGES.get(code, "The request could not be handled.")
        response.data = error_body(code, message)
    return response


class Pagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class _RateLimitHeadersMixin:
    """Adds X-RateLimit-Limit / X-RateLimit-Remaining to every throttled view's response.

    Counters live in the "state" cache, shared by every instance and never evicted (an evicted counter would
    hand a caller a fresh allowance)."""

    @property
    def cache(self):
        return caches["state"]

    def allow_request(self, request, view):
        allowed = super().allow_request(request, view)
        if self.rate is not None and getattr(self, "key", None) is not None:
            remaining = max(self.num_requests - len(self.history), 0)
            # The DRF request wraps Django's; middleware reads it from there.
            django_request = getattr(request, "_request", request)
            # Several throttles apply (anonymous callers also count against the per-user one, by IP):
            # the headers describe the one closest to refusing.
            current = getattr(django_request, "ratelimit", None)
            if current is None or remaining < current[1]:
                django_request.ratelimit = (self.num_requests, remaining)
        return allowed


class AnonRateThrottle(_RateLimitHeadersMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(_RateLimitHeadersMixin, throttling.UserRateThrottle):
    pass


def add_rate_limit_headers(request, response):
    info = getattr(request, "ratelimit", None)
    if info:
        response["X-RateLimit-Limit"] = str(info[0])
        response["X-RateLimit-Remaining"] = str(info[1])
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and not response.has_header("Retry-After"):
        response["Retry-After"] = "60"
    return response
