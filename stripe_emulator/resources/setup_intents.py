"""SetupIntents: created by Checkout in setup mode when a customer saves a card for later."""

from __future__ import annotations

from ..routing import filter_range, paginate, route
from ..shapes import build
from ..store import random_token


def new_setup_intent(request, *, customer: str, payment_method: str, metadata=None, description=None) -> dict:
    """A SetupIntent that has already succeeded (the hosted page verified the card)."""
    store, em = request.store, request.em
    seti_id = store.new_id("seti_")
    intent = build(
        "setup_intent",
        id=seti_id,
        automatic_payment_methods=None,
        client_secret=f"{seti_id}_secret_{random_token(25)}",
        created=em.now(customer),
        customer=customer,
        description=description,
        flow_directions=None,
        metadata=dict(metadata or {}),
        payment_method=payment_method,
        payment_method_options={
            "card": {"mandate_options": None, "network": None, "request_three_d_secure": "automatic"}
        },
        payment_method_types=["card"],
        status="succeeded",
        usage="off_session",
    )
    store.add(intent)
    em.emit("setup_intent.created", intent)
    em.emit("setup_intent.succeeded", intent)
    return intent


@route("GET", r"/v1/setup_intents/(seti_\w+)")
def retrieve_setup_intent(request):
    return request.store.get("setup_intent", request.args[0])


@route("GET", r"/v1/setup_intents")
def list_setup_intents(request):
    params = request.params
    items = [
        s
        for s in request.store.all("setup_intent")
        if not params.get("customer") or s["customer"] == params["customer"]
    ]
    return paginate(request, filter_range(items, params, "created"), "/v1/setup_intents")
