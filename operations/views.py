from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from . import access, exposition

REFUSED = "Metrics are served only to the monitoring network or with the bearer token.\n"


@never_cache
def metrics(request):
    """Prometheus metrics of every worker process, with the scrape-time gauges. Not public (see access.py)."""
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse("Method not allowed.\n", status=405, content_type="text/plain")
        response["Allow"] = "GET, HEAD"
        return response
    if not access.allowed(request.META):
        response = HttpResponse(REFUSED, status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition.render(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)
