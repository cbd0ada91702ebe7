"""Payment intents, charges, refunds and balance transactions."""

from __future__ import annotations

import copy

from ..errors import InvalidRequest, invalid, missing
from ..routing import apply_metadata, empty_to_none, filter_range, get_bool, get_int, get_str, paginate, render, route
from ..shapes import build, list_object
from ..store import random_token
from .payment_methods import DECLINES, charge_failure, create_from_card_params, decline_error, resolve_payment_method

STATEMENT_DESCRIPTOR = "STRIPE EMULATOR"

# Callables ``hook(request, payment_intent)`` run after a payment succeeds (billing uses
# this to mark an invoice paid when its PaymentIntent is confirmed directly).
SUCCESS_HOOKS: list = []


def stripe_fee(amount: int) -> int:
    """Stripe's standard US card pricing: 2.9% + 30 cents (rounded half up)."""
    return (amount * 29 + 500) // 1000 + 30 if amount > 0 else 0


def create_balance_transaction(request, *, amount, currency, source, kind, created, description=None):
    fee = stripe_fee(amount) if kind == "charge" else 0
    txn = build(
        "balance_transaction",
        id=request.store.new_id("txn_"),
        amount=amount,
        available_on=created + 2 * 86400,
        created=created,
        currency=currency,
        description=description,
        exchange_rate=None,
        fee=fee,
        fee_details=(
            [
                {
                    "amount": fee,
                    "application": None,
                    "currency": currency,
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else []
        ),
        net=amount - fee,
        reporting_category={
            "charge": "charge",
            "refund": "refund",
            "transfer": "transfer",
            "transfer_reversal": "transfer_reversal",
        }.get(kind, kind),
        source=source,
        status="pending" if kind == "charge" else "available",
        type=kind,
        balance_type="payments",
    )
    return request.store.add(txn)


def card_details(pm: dict, amount: int) -> dict:
    card = pm["card"]
    return {
        "card": {
            "amount_authorized": amount,
            "authorization_code": None,
            "brand": card["brand"],
            "checks": dict(card["checks"]),
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card["last4"],
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card["brand"],
            "network_token": {"used": False},
            "network_transaction_id": random_token(15),
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": None,
            "transaction_link_id": None,
            "wallet": None,
        },
        "type": "card",
    }


def create_charge(
    request,
    *,
    pi: dict | None,
    pm: dict,
    amount,
    currency,
    customer,
    description,
    metadata,
    failure: str | None,
    created: int,
    capture: bool = True,
) -> dict:
    store = request.store
    charge_id = store.new_id("ch_")
    outcome = {
        "advice_code": None,
        "network_advice_code": None,
        "network_decline_code": None,
        "network_status": "approved_by_network",
        "reason": None,
        "risk_level": "normal",
        "risk_score": 20,
        "seller_message": "Payment complete.",
        "type": "authorized",
    }
    failure_code = failure_message = None
    if failure:
        failure_code, failure_message = DECLINES[failure]
        outcome.update(
            network_status="declined_by_network",
            reason=failure,
            seller_message="The bank did not return any further details with this decline.",
            type="issuer_declined",
        )
    charge = build(
        "charge",
        id=charge_id,
        amount=amount,
        amount_captured=amount if (not failure and capture) else 0,
        amount_refunded=0,
        balance_transaction=None,
        billing_details=copy.deepcopy(pm["billing_details"]),
        calculated_statement_descriptor=STATEMENT_DESCRIPTOR,
        captured=bool(not failure and capture),
        created=created,
        currency=currency,
        customer=customer,
        description=description,
        disputed=False,
        failure_code=failure_code,
        failure_message=failure_message,
        fraud_details={},
        metadata=dict(metadata or {}),
        outcome=outcome,
        paid=not failure,
        payment_intent=pi["id"] if pi else None,
        payment_method=pm["id"],
        payment_method_details=card_details(pm, amount),
        receipt_email=pi.get("receipt_email") if pi else None,
        receipt_url=f"{request.base_url}/receipts/{charge_id}",
        refunded=False,
        refunds=list_object([], f"/v1/charges/{charge_id}/refunds"),
        shipping=None,
        source=None,
        status="failed" if failure else "succeeded",
        transfer_data=None,
        transfer_group=pi.get("transfer_group") if pi else None,
    )
    if not failure:
        txn = create_balance_transaction(
            request,
            amount=amount,
            currency=currency,
            source=charge_id,
            kind="charge",
            created=created,
            description=description,
        )
        charge["balance_transaction"] = txn["id"]
    return store.add(charge)


def last_payment_error(failure: str, pm: dict, charge: dict) -> dict:
    code, message = DECLINES[failure]
    error = {
        "type": "card_error",
        "code": code,
        "message": message,
        "charge": charge["id"],
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "payment_method": None,
        "advice_code": "try_again_later",
    }
    if code == "card_declined":
        error["decline_code"] = failure
    return error


def attempt_payment(request, pi: dict, pm: dict, *, raise_on_decline: bool = True) -> bool:
    """Charge ``pm`` for ``pi``; update the intent and emit the events. True on success."""
    em, store = request.em, request.store
    before = copy.deepcopy(pi)
    now = em.now(pi.get("customer"))
    failure = charge_failure(pm)
    capture = pi.get("capture_method") != "manual"
    charge = create_charge(
        request,
        pi=pi,
        pm=pm,
        amount=pi["amount"],
        currency=pi["currency"],
        customer=pi.get("customer"),
        description=pi.get("description"),
        metadata=pi.get("metadata"),
        failure=failure,
        created=now,
        capture=capture,
    )
    pi["payment_method"] = pm["id"]
    pi["latest_charge"] = charge["id"]
    if failure:
        error = last_payment_error(failure, pm, charge)
        error["payment_method"] = render(store, pm)
        pi["last_payment_error"] = error
        pi["status"] = "requires_payment_method"
        em.emit("charge.failed", charge)
        em.emit("payment_intent.payment_failed", pi, em.changed(before, pi))
        if raise_on_decline:
            raise decline_error(
                failure,
                charge=charge["id"],
                payment_intent=render(store, pi),
                payment_method=render(store, pm),
            )
        return False
    pi["last_payment_error"] = None
    if capture:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
    else:
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
    if pi.get("setup_future_usage") and pi.get("customer") and not pm.get("customer"):
        customer = store.maybe("customer", pi["customer"])
        if customer:
            pm["customer"] = customer["id"]
            em.emit("payment_method.attached", pm)
    em.emit("charge.succeeded", charge)
    em.emit(
        "payment_intent.succeeded" if capture else "payment_intent.amount_capturable_updated",
        pi,
        em.changed(before, pi),
    )
    if pi.get("transfer_data") and pi["transfer_data"].get("destination") and capture:
        from .connect import destination_transfer

        destination_transfer(request, pi, charge)
    for hook in SUCCESS_HOOKS:
        hook(request, pi)
    return True


def new_payment_intent(
    request,
    *,
    amount,
    currency,
    customer=None,
    description=None,
    metadata=None,
    payment_method_types=None,
    created=None,
    **extra,
) -> dict:
    store = request.store
    pi_id = store.new_id("pi_")
    pi = build(
        "payment_intent",
        id=pi_id,
        amount=amount,
        amount_capturable=0,
        amount_details={"tip": {}},
        amount_received=0,
        automatic_payment_methods=None if payment_method_types else {"allow_redirects": "always", "enabled": True},
        canceled_at=None,
        capture_method="automatic_async",
        client_secret=f"{pi_id}_secret_{random_token(25)}",
        confirmation_method="automatic",
        created=created or request.em.now(customer),
        currency=currency,
        customer=customer,
        description=description,
        last_payment_error=None,
        latest_charge=None,
        metadata=dict(metadata or {}),
        next_action=None,
        payment_method=None,
        payment_method_configuration_details=None,
        payment_method_options={
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        payment_method_types=list(payment_method_types or ["card"]),
        processing=None,
        shipping=None,
        status="requires_payment_method",
        transfer_data=None,
    )
    pi.update(extra)
    store.add(pi)
    request.em.emit("payment_intent.created", pi)
    return pi


def _pm_from_params(request, params) -> dict | None:
    if params.get("payment_method"):
        pm = resolve_payment_method(request, params["payment_method"])
        return pm
    data = params.get("payment_method_data")
    if isinstance(data, dict):
        if data.get("type", "card") != "card":
            raise invalid("payment_method_data[type]", "Only card payment methods are emulated.")
        return create_from_card_params(request, data.get("card"), data.get("billing_details"))
    return None


def _confirm(request, pi, params):
    pm = _pm_from_params(request, params)
    if pm is None and pi.get("payment_method"):
        pm = request.store.get("payment_method", pi["payment_method"])
    if pm is None:
        raise InvalidRequest(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To "
            "confirm the PaymentIntent with cus_..., specify a payment method attached to this "
            "customer along with the customer ID.",
            code="payment_intent_unexpected_state",
        )
    if pm.get("customer") and pi.get("customer") and pm["customer"] != pi["customer"]:
        raise InvalidRequest(
            f"The provided PaymentMethod {pm['id']} belongs to a different customer.",
            param="payment_method",
        )
    if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
        raise InvalidRequest(
            f"This PaymentIntent's status is {pi['status']}, but it must be requires_payment_method "
            "or requires_confirmation to be confirmed.",
            code="payment_intent_unexpected_state",
        )
    attempt_payment(request, pi, pm)


def _apply_pi(request, pi, params):
    if "amount" in params:
        amount = get_int(params, "amount")
        if amount < 1:
            raise invalid("amount", "This value must be greater than or equal to 1.")
        pi["amount"] = amount
    for name in (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "setup_future_usage",
        "transfer_group",
    ):
        if name in params:
            pi[name] = empty_to_none(params[name])
    if "customer" in params:
        customer_id = empty_to_none(params["customer"])
        if customer_id:
            request.store.get("customer", customer_id, "customer")
        pi["customer"] = customer_id
    if "capture_method" in params:
        pi["capture_method"] = params["capture_method"]
    if isinstance(params.get("transfer_data"), dict):
        destination = params["transfer_data"].get("destination")
        request.store.get("account", destination, "transfer_data[destination]")
        pi["transfer_data"] = {"destination": destination, "amount": get_int(params["transfer_data"], "amount")}
    if "application_fee_amount" in params:
        pi["application_fee_amount"] = get_int(params, "application_fee_amount")
    if "on_behalf_of" in params:
        pi["on_behalf_of"] = empty_to_none(params["on_behalf_of"])
    apply_metadata(pi, params)


@route("POST", r"/v1/payment_intents")
def create_payment_intent(request):
    params = request.params
    amount = get_int(params, "amount", required=True)
    if amount < 1:
        raise invalid("amount", "This value must be greater than or equal to 1.")
    currency = get_str(params, "currency", required=True).lower()
    customer = empty_to_none(params.get("customer"))
    if customer:
        request.store.get("customer", customer, "customer")
    if get_bool(params, "off_session", False) and not customer:
        raise missing("customer")
    pm = _pm_from_params(request, params)
    pi = new_payment_intent(
        request,
        amount=amount,
        currency=currency,
        customer=customer,
        payment_method_types=params.get("payment_method_types"),
    )
    rest = {k: v for k, v in params.items() if k not in ("amount", "customer", "currency")}
    _apply_pi(request, pi, rest)
    if pm:
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    if get_bool(params, "confirm", False):
        _confirm(request, pi, {})
    return pi


@route("GET", r"/v1/payment_intents/(pi_\w+)")
def retrieve_payment_intent(request):
    return request.store.get("payment_intent", request.args[0])


@route("POST", r"/v1/payment_intents/(pi_\w+)")
def update_payment_intent(request):
    pi = request.store.get("payment_intent", request.args[0])
    if pi["status"] in ("succeeded", "canceled"):
        raise InvalidRequest(
            f"This PaymentIntent's status is {pi['status']}; it can no longer be updated.",
            code="payment_intent_unexpected_state",
        )
    before = copy.deepcopy(pi)
    _apply_pi(request, pi, request.params)
    pm = _pm_from_params(request, request.params)
    if pm:
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
    previous = request.em.changed(before, pi)
    if previous:
        request.em.emit("payment_intent.updated", pi, previous)
    return pi


@route("POST", r"/v1/payment_intents/(pi_\w+)/confirm")
def confirm_payment_intent(request):
    pi = request.store.get("payment_intent", request.args[0])
    _confirm(request, pi, request.params)
    return pi


@route("POST", r"/v1/payment_intents/(pi_\w+)/capture")
def capture_payment_intent(request):
    pi = request.store.get("payment_intent", request.args[0])
    if pi["status"] != "requires_capture":
        raise InvalidRequest(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. "
            "Only a PaymentIntent with one of the following statuses may be captured: "
            "requires_capture.",
            code="payment_intent_unexpected_state",
        )
    amount = get_int(request.params, "amount_to_capture", default=pi["amount_capturable"])
    before = copy.deepcopy(pi)
    charge = request.store.get("charge", pi["latest_charge"])
    charge_before = copy.deepcopy(charge)
    charge.update(captured=True, amount_captured=amount)
    txn = create_balance_transaction(
        request,
        amount=amount,
        currency=pi["currency"],
        source=charge["id"],
        kind="charge",
        created=request.em.now(pi.get("customer")),
    )
    charge["balance_transaction"] = txn["id"]
    pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
    request.em.emit("charge.captured", charge, request.em.changed(charge_before, charge))
    request.em.emit("payment_intent.succeeded", pi, request.em.changed(before, pi))
    return pi


@route("POST", r"/v1/payment_intents/(pi_\w+)/cancel")
def cancel_payment_intent(request):
    pi = request.store.get("payment_intent", request.args[0])
    if pi["status"] in ("succeeded", "canceled", "processing"):
        raise InvalidRequest(
            "You cannot cancel this PaymentIntent because it has a status of "
            f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
            "canceled: requires_payment_method, requires_capture, requires_confirmation, "
            "requires_action, processing.",
            code="payment_intent_unexpected_state",
        )
    before = copy.deepcopy(pi)
    pi["status"] = "canceled"
    pi["canceled_at"] = request.em.now(pi.get("customer"))
    pi["cancellation_reason"] = request.params.get("cancellation_reason") or "requested_by_customer"
    request.em.emit("payment_intent.canceled", pi, request.em.changed(before, pi))
    return pi


@route("GET", r"/v1/payment_intents")
def list_payment_intents(request):
    objs = request.store.all("payment_intent")
    if request.params.get("customer"):
        objs = [p for p in objs if p.get("customer") == request.params["customer"]]
    objs = filter_range(objs, request.params, "created")
    return paginate(request, objs, "/v1/payment_intents")


# -- charges ------------------------------------------------------------------------------
@route("GET", r"/v1/charges/(ch_\w+)")
def retrieve_charge(request):
    return request.store.get("charge", request.args[0])


@route("POST", r"/v1/charges/(ch_\w+)")
def update_charge(request):
    charge = request.store.get("charge", request.args[0])
    before = copy.deepcopy(charge)
    if "description" in request.params:
        charge["description"] = empty_to_none(request.params["description"])
    apply_metadata(charge, request.params)
    request.em.emit("charge.updated", charge, request.em.changed(before, charge))
    return charge


@route("GET", r"/v1/charges")
def list_charges(request):
    objs = request.store.all("charge")
    for name in ("customer", "payment_intent", "transfer_group"):
        if request.params.get(name):
            objs = [c for c in objs if c.get(name) == request.params[name]]
    objs = filter_range(objs, request.params, "created")
    return paginate(request, objs, "/v1/charges")


# -- refunds -------------------------------------------------------------------------------
def _money(amount: int, currency: str) -> str:
    return f"${amount / 100:.2f}" if currency == "usd" else f"{amount} {currency}"


def refund_charge(request, charge: dict, amount: int | None, reason=None, metadata=None) -> dict:
    em, store = request.em, request.store
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise InvalidRequest(
            f"Charge {charge['id']} has not been captured or did not succeed, so it cannot be refunded.",
            code="charge_not_refundable" if charge["status"] != "succeeded" else "charge_not_captured",
        )
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise InvalidRequest(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    if amount is None:
        amount = remaining
    if amount <= 0:
        raise invalid("amount", "This value must be greater than or equal to 1.")
    if amount > remaining:
        raise InvalidRequest(
            f"Refund amount ({_money(amount, charge['currency'])}) is greater than unrefunded "
            f"amount on charge ({_money(remaining, charge['currency'])})",
            code="amount_too_large",
            param="amount",
        )
    if reason not in (None, "", "duplicate", "fraudulent", "requested_by_customer"):
        raise invalid("reason", "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer")
    now = em.now(charge.get("customer"))
    refund_id = store.new_id("re_")
    txn = create_balance_transaction(
        request, amount=-amount, currency=charge["currency"], source=refund_id, kind="refund", created=now
    )
    refund = build(
        "refund",
        id=refund_id,
        amount=amount,
        balance_transaction=txn["id"],
        charge=charge["id"],
        created=now,
        currency=charge["currency"],
        destination_details={
            "card": {
                "reference": random_token(12),
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
        metadata=dict(metadata or {}),
        payment_intent=charge.get("payment_intent"),
        reason=reason or None,
        status="succeeded",
        customer=charge.get("customer"),
        payment_method=charge.get("payment_method"),
    )
    store.add(refund)
    before = copy.deepcopy(charge)
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    render_charge_refunds(store, charge)
    em.emit("refund.created", refund)
    em.emit("charge.refunded", charge, em.changed(before, charge))
    em.emit("charge.refund.updated", refund)
    return refund


def _charge_refunds(store, charge_id):
    return [r for r in store.all("refund") if r["charge"] == charge_id]


def render_charge_refunds(store, charge: dict) -> None:
    refunds = _charge_refunds(store, charge["id"])
    charge["refunds"] = list_object(refunds[:10], f"/v1/charges/{charge['id']}/refunds", len(refunds) > 10)


@route("POST", r"/v1/refunds")
def create_refund(request):
    params = request.params
    store = request.store
    if params.get("charge"):
        charge = store.get("charge", params["charge"], "charge")
    elif params.get("payment_intent"):
        pi = store.get("payment_intent", params["payment_intent"], "payment_intent")
        if pi["status"] != "succeeded" or not pi.get("latest_charge"):
            raise InvalidRequest(
                f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        charge = store.get("charge", pi["latest_charge"])
    else:
        raise missing("charge")
    refund = refund_charge(
        request,
        charge,
        get_int(params, "amount"),
        params.get("reason"),
        params.get("metadata") if isinstance(params.get("metadata"), dict) else None,
    )
    return refund


@route("POST", r"/v1/charges/(ch_\w+)/refunds?")
def create_charge_refund(request):
    charge = request.store.get("charge", request.args[0], "charge")
    refund = refund_charge(request, charge, get_int(request.params, "amount"), request.params.get("reason"))
    return refund if request.path.endswith("/refunds") else charge


@route("GET", r"/v1/refunds/(re_\w+)")
def retrieve_refund(request):
    return request.store.get("refund", request.args[0])


@route("POST", r"/v1/refunds/(re_\w+)")
def update_refund(request):
    refund = request.store.get("refund", request.args[0])
    before = copy.deepcopy(refund)
    apply_metadata(refund, request.params)
    request.em.emit("refund.updated", refund, request.em.changed(before, refund))
    return refund


@route("GET", r"/v1/refunds")
def list_refunds(request):
    objs = request.store.all("refund")
    for name in ("charge", "payment_intent"):
        if request.params.get(name):
            objs = [r for r in objs if r.get(name) == request.params[name]]
    objs = filter_range(objs, request.params, "created")
    return paginate(request, objs, "/v1/refunds")


@route("GET", r"/v1/charges/(ch_\w+)/refunds")
def list_charge_refunds(request):
    request.store.get("charge", request.args[0])
    return paginate(request, _charge_refunds(request.store, request.args[0]), f"/v1/charges/{request.args[0]}/refunds")


# -- balance transactions ---------------------------------------------------------------------
@route("GET", r"/v1/balance_transactions/(txn_\w+)")
def retrieve_balance_transaction(request):
    return request.store.get("balance_transaction", request.args[0])


@route("GET", r"/v1/balance_transactions")
def list_balance_transactions(request):
    objs = request.store.all("balance_transaction")
    for name in ("source", "type"):
        if request.params.get(name):
            objs = [t for t in objs if t.get(name) == request.params[name]]
    return paginate(request, filter_range(objs, request.params, "created"), "/v1/balance_transactions")
