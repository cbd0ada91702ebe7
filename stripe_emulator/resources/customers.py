"""Customers."""

from __future__ import annotations

import copy

from ..errors import invalid
from ..routing import (
    apply_metadata,
    empty_to_none,
    filter_range,
    get_str,
    paginate,
    route,
)
from ..shapes import address, build, deleted
from ..store import random_token

SIMPLE_FIELDS = ("email", "name", "description", "phone")


def _apply(request, customer: dict) -> None:
    params = request.params
    for name in SIMPLE_FIELDS:
        if name in params:
            customer[name] = empty_to_none(get_str(params, name))
    if "address" in params:
        customer["address"] = address(params["address"]) if params["address"] else None
    if "preferred_locales" in params:
        customer["preferred_locales"] = list(params["preferred_locales"] or [])
    if "shipping" in params:
        shipping = params["shipping"] or None
        if shipping:
            shipping = {
                "address": address(shipping.get("address")),
                "name": shipping.get("name"),
                "phone": shipping.get("phone"),
            }
        customer["shipping"] = shipping
    settings = params.get("invoice_settings")
    if isinstance(settings, dict) and "default_payment_method" in settings:
        pm_id = empty_to_none(settings["default_payment_method"])
        if pm_id:
            pm = request.store.get("payment_method", pm_id, "invoice_settings[default_payment_method]")
            if pm.get("customer") != customer["id"]:
                raise invalid(
                    "invoice_settings[default_payment_method]",
                    f"The customer does not have a payment method with the ID {pm_id}. The "
                    "payment method must be attached to the customer.",
                )
        customer["invoice_settings"]["default_payment_method"] = pm_id
    apply_metadata(customer, params)


@route("POST", r"/v1/customers")
def create_customer(request):
    from .payment_methods import attach_payment_method, resolve_payment_method

    store, em, params = request.store, request.em, request.params
    clock_id = empty_to_none(params.get("test_clock"))
    if clock_id:
        store.get("test_helpers.test_clock", clock_id, "test_clock")
    customer = build(
        "customer",
        id=store.new_id("cus_", 14),
        created=em.now(),
        balance=0,
        delinquent=False,
        discount=None,
        address=None,
        shipping=None,
        invoice_prefix=random_token(8).upper(),
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        next_invoice_sequence=1,
        preferred_locales=[],
        tax_exempt="none",
        test_clock=clock_id,
    )
    if clock_id:
        customer["created"] = store.get("test_helpers.test_clock", clock_id)["frozen_time"]
    pm_param = empty_to_none(params.get("payment_method"))
    store.add(customer)
    try:
        if pm_param:
            pm = resolve_payment_method(request, pm_param, "payment_method")
            attach_payment_method(request, pm, customer, emit_customer=False)
        _apply(request, customer)
    except Exception:
        store.delete("customer", customer["id"])
        raise
    em.emit("customer.created", customer)
    return customer


@route("GET", r"/v1/customers/(cus_\w+)")
def retrieve_customer(request):
    customer = request.store.maybe("customer", request.args[0])
    if customer is None and request.args[0] in request.store.collection("customer"):
        return deleted("customer", request.args[0])
    return request.store.get("customer", request.args[0])


@route("POST", r"/v1/customers/(cus_\w+)")
def update_customer(request):
    customer = request.store.get("customer", request.args[0])
    before = copy.deepcopy(customer)
    _apply(request, customer)
    previous = request.em.changed(before, customer)
    if previous:
        request.em.emit("customer.updated", customer, previous)
    return customer


@route("DELETE", r"/v1/customers/(cus_\w+)")
def delete_customer(request):
    from .billing import cancel_subscription_now

    store = request.store
    customer = store.get("customer", request.args[0])
    for sub in store.all("subscription"):
        if sub["customer"] == customer["id"] and sub["status"] not in ("canceled", "incomplete_expired"):
            cancel_subscription_now(request.em, sub)
    customer["_deleted"] = True
    request.em.emit("customer.deleted", customer)
    return deleted("customer", customer["id"])


@route("GET", r"/v1/customers")
def list_customers(request):
    params = request.params
    objs = request.store.all("customer")
    if params.get("email"):
        objs = [c for c in objs if c.get("email") == params["email"]]
    if params.get("test_clock"):
        objs = [c for c in objs if c.get("test_clock") == params["test_clock"]]
    objs = filter_range(objs, params, "created")
    return paginate(request, objs, "/v1/customers")
