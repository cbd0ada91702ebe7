import re
import uuid

from django.conf import settings
from django.http import JsonResponse

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
        if is_api_request(request):
            from .api import add_rate_limit_headers

            add_rate_limit_headers(request, response)
        if (
            is_api_request(request)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not request.path.startswith(("/api/docs", "/api/schema"))
        ):
            from .api import error_body

            code = {404: "not_found", 405: "method_not_allowed", 403: "forbidden"}.get(response.status_code, "error")
            message = {
                404: "No API endpoint at this address.",
                405: "This method is not allowed here.",
                403: "You may not do this.",
            }.get(response.status_code, "The request could not be handled.")
            return JsonResponse(error_body(code, message), status=response.status_code)
        return response

    def process_exception(self, request, exception):
        if is_api_request(request) and not settings.DEBUG:
            import logging

            from .api import error_body

            logging.getLogger("lyceum.api").exception("Unhandled error in API request")
            return JsonResponse(
                error_body("server_error", "Something went wrong on our side. Please try again."),
                status=500,
            )
        return None
