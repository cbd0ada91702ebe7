from django.conf import settings

from . import views


class MetricsEndpointMiddleware:
    """Answers /metrics before host validation, the HTTPS redirect, sessions and the request metrics:
    Prometheus scrapes each instance by its address (not an ALLOWED_HOSTS name) over plain HTTP inside
    the cluster, and scrapes should not count as traffic. Access is still checked (operations.access)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == settings.METRICS_PATH:
            return views.metrics(request)
        return self.get_response(request)
