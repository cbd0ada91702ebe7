"""The emulator's own control API under /_emulator/ (JSON, no auth)."""

from __future__ import annotations

from ..errors import InvalidRequest
from ..routing import route
from ..shapes import API_VERSION


def _timeout(request, default=30.0) -> float:
    try:
        return float(request.params.get("timeout", default))
    except (TypeError, ValueError):
        raise InvalidRequest("timeout must be a number", param="timeout")


@route("GET", r"/_emulator/health")
def health(request):
    store = request.store
    return {
        "status": "ok",
        "api_version": API_VERSION,
        "account": store.platform_account_id,
        "objects": {kind: len(objs) for kind, objs in store.objects.items()},
    }


@route("POST", r"/_emulator/reset")
def reset(request):
    request.em.reset()
    return {"reset": True, "account": request.store.platform_account_id}


@route("GET", r"/_emulator/faults")
def list_faults(request):
    return request.em.describe_faults()


@route("POST", r"/_emulator/faults")
def add_fault(request):
    request.em.add_fault(request.params)
    return request.em.describe_faults()


@route("DELETE", r"/_emulator/faults")
def clear_faults(request):
    request.em.clear_faults()
    return request.em.describe_faults()


@route("GET", r"/_emulator/deliveries")
def deliveries(request):
    items = request.em.webhooks.public_deliveries()
    for name in ("event_id", "type", "status", "endpoint_id"):
        if request.params.get(name):
            items = [d for d in items if d[name] == request.params[name]]
    return {"object": "list", "data": items}


@route("POST", r"/_emulator/flush")
def flush(request):
    released = request.em.webhooks.release_buffer()
    idle = request.em.webhooks.wait(_timeout(request))
    return {"released": released, "idle": idle}


flush.unlocked = True


@route("POST", r"/_emulator/wait")
def wait(request):
    return {"idle": request.em.webhooks.wait(_timeout(request))}


wait.unlocked = True


@route("POST", r"/_emulator/config")
def configure(request):
    params = request.params
    request.em.webhooks.configure(
        retry_base=params.get("webhook_retry_base"),
        max_attempts=params.get("webhook_max_attempts"),
        timeout=params.get("webhook_timeout"),
    )
    hooks = request.em.webhooks
    return {
        "webhook_retry_base": hooks.retry_base,
        "webhook_max_attempts": hooks.max_attempts,
        "webhook_timeout": hooks.timeout,
    }
