"""Payment methods, test cards and test tokens."""

from __future__ import annotations

import copy
import hashlib

from ..errors import CardError, InvalidRequest, invalid, missing
from ..routing import apply_metadata, get_int, get_str, paginate, route
from ..shapes import address, build

# number -> (decline_code or None when charging, decline at attach?)
DECLINES = {
    "generic_decline": ("card_declined", "Your card was declined."),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "expired_card": ("expired_card", "Your card has expired."),
    "incorrect_cvc": ("incorrect_cvc", "Your card's security code is incorrect."),
    "processing_error": (
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
}

# card number -> (failure when attaching / validating, when a SetupIntent verifies it, when charging).
# 4000000000000341 is Stripe's "attaches and saves fine, declines when charged" card.
CARD_BEHAVIOUR = {
    "4000000000000002": ("generic_decline", "generic_decline", "generic_decline"),
    "4000000000009995": (None, "insufficient_funds", "insufficient_funds"),
    "4000000000000069": ("expired_card", "expired_card", "expired_card"),
    "4000000000000127": ("incorrect_cvc", "incorrect_cvc", "incorrect_cvc"),
    "4000000000000119": (None, "processing_error", "processing_error"),
    "4000000000000341": (None, None, "generic_decline"),
}
_WORKS = (None, None, None)

TEST_TOKENS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
}
TOKEN_ALIASES = {"tok_" + k[len("pm_card_") :]: v for k, v in TEST_TOKENS.items()}


def brand_for(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("51", "52", "53", "54", "55") or number[:1] == "2":
        return "mastercard"
    if number[:2] in ("34", "37"):
        return "amex"
    if number.startswith("6011") or number.startswith("65"):
        return "discover"
    return "unknown"


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        checksum += d
    return checksum % 10 == 0


def decline_error(decline_code: str, **extra) -> CardError:
    code, message = DECLINES[decline_code]
    return CardError(
        message,
        code=code,
        decline_code=decline_code if code == "card_declined" else None,
        **extra,
    )


def validate_card(number, exp_month, exp_year, cvc=None, now_year: int = 2026) -> str:
    number = "".join(ch for ch in str(number or "") if ch.isdigit())
    if not number:
        raise missing("card[number]")
    if len(number) < 12 or not luhn_ok(number):
        raise CardError("Your card number is incorrect.", code="incorrect_number", param="number")
    try:
        month, year = int(exp_month), int(exp_year)
    except (TypeError, ValueError):
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month", param="exp_month")
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise CardError("Your card's expiration month is invalid.", code="invalid_expiry_month", param="exp_month")
    if year < now_year:
        raise CardError("Your card's expiration year is invalid.", code="invalid_expiry_year", param="exp_year")
    if cvc is not None and cvc != "" and not (str(cvc).isdigit() and 3 <= len(str(cvc)) <= 4):
        raise CardError("Your card's security code is invalid.", code="invalid_cvc", param="cvc")
    return number


def new_card_payment_method(request, number, exp_month=12, exp_year=2034, billing=None) -> dict:
    store = request.store
    brand = brand_for(number)
    year = int(exp_year)
    year = year + 2000 if year < 100 else year
    fingerprint = hashlib.sha256(number.encode()).hexdigest()[:16]
    billing = billing or {}
    pm = build(
        "payment_method",
        id=store.new_id("pm_"),
        allow_redisplay="unspecified",
        billing_details={
            "address": address(billing.get("address")),
            "email": billing.get("email"),
            "name": billing.get("name"),
            "phone": billing.get("phone"),
            "tax_id": None,
        },
        card={
            "brand": brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": "US",
            "display_brand": brand,
            "exp_month": int(exp_month),
            "exp_year": year,
            "fingerprint": fingerprint,
            "funding": "debit" if number == "4000056655665556" else "credit",
            "generated_from": None,
            "last4": number[-4:],
            "networks": {"available": [brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
            "regulated_status": "unregulated",
        },
        created=request.em.now(),
        customer=None,
        type="card",
        _number=number,
    )
    return store.add(pm)


def create_from_card_params(request, card: dict, billing=None) -> dict:
    if not isinstance(card, dict):
        raise missing("card")
    token = card.get("token")
    if token:
        number = TOKEN_ALIASES.get(token) or TEST_TOKENS.get(token)
        if not number:
            raise invalid("card[token]", f"No such token: '{token}'")
        return new_card_payment_method(request, number, billing=billing)
    number = validate_card(card.get("number"), card.get("exp_month"), card.get("exp_year"), card.get("cvc"))
    return new_card_payment_method(request, number, card["exp_month"], card["exp_year"], billing)


def resolve_payment_method(request, value: str, param: str = "payment_method") -> dict:
    """An existing pm, or a fresh pm for a test token such as ``pm_card_visa``."""
    number = TEST_TOKENS.get(value) or TOKEN_ALIASES.get(value)
    if number:
        return new_card_payment_method(request, number)
    return request.store.get("payment_method", value, param)


def charge_failure(pm: dict | None) -> str | None:
    """The decline code this payment method gets when charged, if any."""
    if pm is None:
        return None
    return CARD_BEHAVIOUR.get(pm.get("_number", ""), _WORKS)[2]


def setup_failure(pm: dict) -> str | None:
    """The decline code a SetupIntent gets when it verifies this card for later use, if any."""
    return CARD_BEHAVIOUR.get(pm.get("_number", ""), _WORKS)[1]


def attach_failure(pm: dict) -> str | None:
    return CARD_BEHAVIOUR.get(pm.get("_number", ""), _WORKS)[0]


def attach_payment_method(request, pm: dict, customer: dict, emit_customer=True) -> dict:
    if pm.get("customer") == customer["id"]:
        return pm
    if pm.get("customer"):
        raise InvalidRequest(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state",
        )
    failure = attach_failure(pm)
    if failure:
        raise decline_error(failure, param=None)
    pm["customer"] = customer["id"]
    request.em.emit("payment_method.attached", pm)
    return pm


@route("POST", r"/v1/payment_methods")
def create_payment_method(request):
    params = request.params
    kind = get_str(params, "type", default="card")
    if kind != "card":
        raise invalid("type", "The emulator only supports payment methods of type card.")
    pm = create_from_card_params(request, params.get("card"), params.get("billing_details"))
    apply_metadata(pm, params)
    return pm


@route("GET", r"/v1/payment_methods/(pm_\w+)")
def retrieve_payment_method(request):
    return request.store.get("payment_method", request.args[0])


@route("POST", r"/v1/payment_methods/(pm_\w+)")
def update_payment_method(request):
    pm = request.store.get("payment_method", request.args[0])
    before = copy.deepcopy(pm)
    billing = request.params.get("billing_details")
    if isinstance(billing, dict):
        for key in ("email", "name", "phone"):
            if key in billing:
                pm["billing_details"][key] = billing[key] or None
        if "address" in billing:
            pm["billing_details"]["address"] = address(billing["address"] or None)
    card = request.params.get("card")
    if isinstance(card, dict):
        for key in ("exp_month", "exp_year"):
            if key in card:
                pm["card"][key] = get_int(card, key)
    apply_metadata(pm, request.params)
    request.em.emit("payment_method.updated", pm, request.em.changed(before, pm))
    return pm


@route("POST", r"/v1/payment_methods/(\w+)/attach")
def attach(request):
    customer_id = get_str(request.params, "customer", required=True)
    customer = request.store.get("customer", customer_id, "customer")
    pm = resolve_payment_method(request, request.args[0], "payment_method")
    return attach_payment_method(request, pm, customer)


@route("POST", r"/v1/payment_methods/(pm_\w+)/detach")
def detach(request):
    pm = request.store.get("payment_method", request.args[0])
    if not pm.get("customer"):
        raise InvalidRequest(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            code="payment_method_unexpected_state",
        )
    previous = {"customer": pm["customer"]}
    customer = request.store.maybe("customer", pm["customer"])
    pm["customer"] = None
    if customer and customer["invoice_settings"]["default_payment_method"] == pm["id"]:
        before = copy.deepcopy(customer)
        customer["invoice_settings"]["default_payment_method"] = None
        request.em.emit("customer.updated", customer, request.em.changed(before, customer))
    request.em.emit("payment_method.detached", pm, previous)
    return pm


def _list(request, customer_id):
    objs = request.store.all("payment_method")
    if customer_id:
        request.store.get("customer", customer_id, "customer")
        objs = [p for p in objs if p.get("customer") == customer_id]
    kind = request.params.get("type")
    if kind:
        objs = [p for p in objs if p.get("type") == kind]
    return objs


@route("GET", r"/v1/payment_methods")
def list_payment_methods(request):
    customer_id = request.params.get("customer")
    return paginate(request, _list(request, customer_id), "/v1/payment_methods")


@route("GET", r"/v1/customers/(cus_\w+)/payment_methods")
def list_customer_payment_methods(request):
    objs = _list(request, request.args[0])
    return paginate(request, objs, f"/v1/customers/{request.args[0]}/payment_methods")


@route("GET", r"/v1/customers/(cus_\w+)/payment_methods/(pm_\w+)")
def retrieve_customer_payment_method(request):
    pm = request.store.get("payment_method", request.args[1])
    if pm.get("customer") != request.args[0]:
        raise invalid("payment_method", "This payment method is not attached to this customer.")
    return pm
