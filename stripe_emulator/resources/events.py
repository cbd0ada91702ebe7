"""Events and webhook endpoints."""

from __future__ import annotations

import copy

from ..errors import invalid, missing
from ..routing import apply_metadata, filter_range, get_bool, get_str, paginate, route
from ..shapes import API_VERSION, build, deleted
from ..store import random_token


@route("GET", r"/v1/events/(evt_\w+)")
def retrieve_event(request):
    return request.store.get("event", request.args[0])


@route("GET", r"/v1/events")
def list_events(request):
    params = request.params
    objs = request.store.all("event")
    if params.get("type"):
        wanted = params["type"]
        if wanted.endswith("*"):
            objs = [e for e in objs if e["type"].startswith(wanted[:-1])]
        else:
            objs = [e for e in objs if e["type"] == wanted]
    if params.get("types"):
        types = set(params["types"])
        objs = [e for e in objs if e["type"] in types]
    objs = filter_range(objs, params, "created")
    return paginate(request, objs, "/v1/events")


def _events_param(params, required):
    events = params.get("enabled_events")
    if events is None:
        if required:
            raise missing("enabled_events")
        return None
    if isinstance(events, str):
        events = [events]
    if not events:
        raise invalid("enabled_events", "enabled_events must contain at least one event type.")
    return list(events)


@route("POST", r"/v1/webhook_endpoints")
def create_webhook_endpoint(request):
    params = request.params
    url = get_str(params, "url", required=True)
    if not url.startswith(("http://", "https://")):
        raise invalid("url", "Invalid URL: URL must be an http(s) URL.")
    secret = "whsec_" + random_token(32)
    endpoint = build(
        "webhook_endpoint",
        id=request.store.new_id("we_"),
        api_version=params.get("api_version") or API_VERSION,
        application=None,
        created=request.em.now(),
        description=params.get("description"),
        enabled_events=_events_param(params, True),
        status="enabled",
        url=url,
        _secret=secret,
    )
    apply_metadata(endpoint, params)
    request.store.add(endpoint)
    response = copy.deepcopy(endpoint)
    response["secret"] = secret
    return response


@route("GET", r"/v1/webhook_endpoints/(we_\w+)")
def retrieve_webhook_endpoint(request):
    return request.store.get("webhook_endpoint", request.args[0])


@route("POST", r"/v1/webhook_endpoints/(we_\w+)")
def update_webhook_endpoint(request):
    params = request.params
    endpoint = request.store.get("webhook_endpoint", request.args[0])
    if "url" in params:
        endpoint["url"] = get_str(params, "url", required=True)
    if "description" in params:
        endpoint["description"] = params["description"] or None
    events = _events_param(params, False)
    if events is not None:
        endpoint["enabled_events"] = events
    if "disabled" in params:
        endpoint["status"] = "disabled" if get_bool(params, "disabled") else "enabled"
    apply_metadata(endpoint, params)
    return endpoint


@route("DELETE", r"/v1/webhook_endpoints/(we_\w+)")
def delete_webhook_endpoint(request):
    endpoint = request.store.get("webhook_endpoint", request.args[0])
    request.store.delete("webhook_endpoint", endpoint["id"])
    return deleted("webhook_endpoint", endpoint["id"])


@route("GET", r"/v1/webhook_endpoints")
def list_webhook_endpoints(request):
    return paginate(request, request.store.all("webhook_endpoint"), "/v1/webhook_endpoints")
