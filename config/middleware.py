import functools
import re
import uuid

import csp.constants
import csp.middleware
from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import Http404, JsonResponse

from .logging import request_id_var

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIDMiddleware:
    """Gives each request an id (or keeps a sane incoming X-Request-ID) for logs and the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def is_api_request(request) -> bool:
    return request.path.startswith("/api/")


class APIErrorMiddleware:
    """Never an HTML error page for an API request: 404s and crashes become the JSON error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not is_api_request(request):
            return response
        if (
            response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not request.path.startswith(("/api/docs", "/api/schema"))
        ):
            from .api import error_body

            code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 403: "forbidden"}.get(
                response.status_code, "error"
            )
            message = {
                400: "The request is not valid.",
                404: "No API endpoint at this address.",
                405: "This method is not allowed here.",
                403: "You may not do this.",
            }.get(response.status_code, "The request could not be handled.")
            json_response = JsonResponse(error_body(code, message), status=response.status_code)
            for header in ("Allow", "Retry-After"):
                if response.has_header(header):
                    json_response[header] = response[header]
            response = json_response
        from .api import add_rate_limit_headers

        return add_rate_limit_headers(request, response)

    def process_exception(self, request, exception):
        # 400/403/404 raised by a plain view are not crashes: Django turns them into their status,
        # and __call__ above gives that the JSON shape.
        if isinstance(exception, (Http404, PermissionDenied, BadRequest, SuspiciousOperation)):
            return None
        if is_api_request(request) and not settings.DEBUG:
            import logging

            from .api import error_body

            logging.getLogger("lyceum.api").exception("Unhandled error in API request")
            return JsonResponse(
                error_body("server_error", "Something went wrong on our side. Please try again."),
                status=500,
            )
        return None


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the policy built once instead of for every response.

    django-csp rebuilds both headers per response (`dataclasses.asdict` of its policy parts and the string
    joins of build_policy): about a sixth of /healthz's time in process. Without a nonce used by the page
    and without a per-view `@csp_update`/`@csp_replace`/`@csp` override, the header only depends on the
    settings, so it is built once (again when the settings change, as in tests). Anything else goes to
    django-csp as before."""

    _OVERRIDES = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")

    def process_response(self, request, response):
        if isinstance(getattr(request, "_csp_nonce", None), str) or any(
            getattr(response, name, None) is not None for name in self._OVERRIDES
        ):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        policy, report_only = _built_policies()
        for header, value, exempt, setting in (
            (csp.constants.HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (csp.constants.HEADER_REPORT_ONLY, report_only, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if not value or header in response or getattr(response, exempt, False):
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


@functools.cache
def _built_policies() -> tuple[str, str]:
    from csp.utils import build_policy

    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_built_policies(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _built_policies.cache_clear()
