"""API plumbing shared by every app: the one error format, pagination, throttles."""

from typing import Any

from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, Page
from django.http import Http404
from rest_framework import exceptions, pagination, status, throttling
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

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
    """Page numbers from 1. A page past the end is an empty page (200, `results: []`, the true `count`, and
    `previous` pointing at the last page), so a client walking pages while rows disappear never trips; a page
    that is not a whole number from 1 (`0`, `-1`, `abc`) is bad input: 400 `validation_error` naming `page`."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    page_query_description = (
        "A page number from 1 (or `last`). Past the last page: an empty `results` list. "
        "0, a negative number or anything else: 400."
    )
    # Beyond this nobody is paging: answered as past the end without asking the database for an offset.
    max_page_number = 1_000_000

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return paginator.num_pages
        if not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {self.page_query_param: [f"“{raw[:20]}” is not a page number: use a whole number from 1."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size)
        number = self.get_page_number(request, paginator)
        self.past_the_end = False
        try:
            if number > self.max_page_number:
                raise EmptyPage("past the end")
            self.page = paginator.page(number)
        except EmptyPage:
            self.past_the_end = True
            self.page = Page([], number, paginator)
        return list(self.page)

    def get_next_link(self):
        return None if self.past_the_end else super().get_next_link()

    def get_previous_link(self):
        if not self.past_the_end:
            return super().get_previous_link()
        last = self.page.paginator.num_pages
        url = self.request.build_absolute_uri()
        if last <= 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, last)


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
