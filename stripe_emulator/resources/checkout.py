"""Checkout Sessions and the hosted payment page served by the emulator."""

from __future__ import annotations

import copy
import html
from decimal import ROUND_HALF_UP, Decimal

from ..errors import CardError, InvalidRequest, StripeError, invalid, missing
from ..routing import (
    Response,
    apply_metadata,
    empty_to_none,
    filter_range,
    get_int,
    get_str,
    paginate,
    redirect,
    route,
)
from ..shapes import address, build
from ..store import random_token
from . import catalog
from .catalog import promotion_code_usable, redeem_promotion_code
from .payment_methods import (
    attach_payment_method,
    charge_failure,
    decline_error,
    new_card_payment_method,
    setup_failure,
    validate_card,
)
from .payments import attempt_payment, new_payment_intent

SESSION_LIFETIME = 24 * 3600


def _line_items(request, params, mode) -> list[dict]:
    raw = params.get("line_items")
    if not raw:
        raise missing("line_items")
    items = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise invalid(f"line_items[{index}]", "Invalid line item.")
        if entry.get("price"):
            price = request.store.get("price", entry["price"], f"line_items[{index}][price]")
        elif isinstance(entry.get("price_data"), dict):
            price_data = dict(entry["price_data"])
            price = catalog.create_price_record(request, price_data)
        else:
            raise missing(f"line_items[{index}][price]")
        if not price["active"]:
            raise invalid(
                f"line_items[{index}][price]",
                f"The price specified ({price['id']}) is inactive. This field only accepts active prices.",
            )
        if mode == "payment" and price["type"] == "recurring":
            raise invalid(
                f"line_items[{index}][price]",
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
            )
        if mode == "subscription" and price["type"] != "recurring":
            pass  # one-time prices are allowed alongside recurring ones (added to the first invoice)
        quantity = get_int(entry, "quantity", default=1)
        product = request.store.get("product", price["product"])
        amount = price["unit_amount"] * quantity
        item = build(
            "item",
            id="li_" + random_token(24),
            amount_discount=0,
            amount_subtotal=amount,
            amount_tax=0,
            amount_total=amount,
            currency=price["currency"],
            description=product["name"],
            price=copy.deepcopy(price),
            quantity=quantity,
            metadata={},
            adjustable_quantity=None,
        )
        items.append(item)
    if mode == "subscription" and not any(i["price"]["type"] == "recurring" for i in items):
        raise invalid(
            "line_items", "You must provide at least one recurring price in `subscription` mode when using prices."
        )
    currencies = {i["currency"] for i in items}
    if len(currencies) > 1:
        raise invalid("line_items", "All line items must use the same currency.")
    return items


@route("POST", r"/v1/checkout/sessions")
def create_session(request):
    params, store, em = request.params, request.store, request.em
    mode = get_str(params, "mode", required=True)
    if mode not in ("payment", "subscription", "setup"):
        raise invalid("mode", "The emulator supports Checkout modes payment, subscription and setup.")
    if params.get("ui_mode") not in (None, "", "hosted"):
        raise invalid("ui_mode", "Only hosted Checkout is emulated.")
    success_url = get_str(params, "success_url", required=True)
    customer_id = empty_to_none(params.get("customer"))
    if customer_id:
        store.get("customer", customer_id, "customer")
    if mode == "setup":
        if params.get("line_items"):
            raise invalid("line_items", "You cannot pass `line_items` in `setup` mode.")
        items = []
    else:
        items = _line_items(request, params, mode)
    now = em.now(customer_id)
    expires_at = get_int(params, "expires_at", default=now + SESSION_LIFETIME)
    if not now + 1800 <= expires_at <= now + SESSION_LIFETIME + 60:
        raise invalid(
            "expires_at",
            "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
        )
    session_id = "cs_test_" + random_token(58)
    total = sum(i["amount_total"] for i in items) if items else None
    discounts, discount_amount = _discounts(request, params, mode, total)
    customer = store.maybe("customer", customer_id)
    session = build(
        "checkout.session",
        id=session_id,
        after_expiration=None,
        amount_subtotal=total,
        amount_total=total - discount_amount if total is not None else None,
        automatic_tax={"enabled": False, "liability": None, "status": None, "provider": None},
        billing_address_collection=params.get("billing_address_collection"),
        cancel_url=params.get("cancel_url"),
        client_reference_id=params.get("client_reference_id"),
        client_secret=None,
        consent=None,
        consent_collection=None,
        created=now,
        currency=items[0]["currency"] if items else empty_to_none(params.get("currency")),
        custom_fields=[],
        custom_text={
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        customer=customer_id,
        customer_creation=None
        if customer_id or mode == "subscription"
        else params.get("customer_creation", "if_required"),
        customer_details={
            "address": None,
            "email": customer.get("email") if customer else params.get("customer_email"),
            "name": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
            "business_name": None,
            "individual_name": None,
        }
        if (customer or params.get("customer_email"))
        else None,
        customer_email=params.get("customer_email"),
        expires_at=expires_at,
        invoice=None,
        invoice_creation={
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        }
        if mode == "payment"
        else None,
        locale=params.get("locale"),
        mode=mode,
        payment_intent=None,
        payment_method_collection="always" if mode == "subscription" else None,
        payment_method_configuration_details=None,
        payment_method_options={"card": {"request_three_d_secure": "automatic"}},
        payment_method_types=list(params.get("payment_method_types") or ["card"]),
        payment_status="no_payment_required" if mode == "setup" else "unpaid",
        setup_intent=None,
        phone_number_collection={"enabled": False},
        saved_payment_method_options=None,
        shipping_address_collection=None,
        shipping_cost=None,
        shipping_options=[],
        status="open",
        submit_type=params.get("submit_type"),
        success_url=success_url,
        total_details={"amount_discount": discount_amount, "amount_shipping": 0, "amount_tax": 0},
        ui_mode="hosted",
        url=f"{request.base_url}/checkout/{session_id}",
        adaptive_pricing={"enabled": False},
        discounts=discounts,
        collected_information=None,
        permissions=None,
        wallet_options=None,
        origin_context=None,
        currency_conversion=None,
        _line_items=items,
        _payment_intent_data=params.get("payment_intent_data")
        if isinstance(params.get("payment_intent_data"), dict)
        else {},
        _subscription_data=params.get("subscription_data") if isinstance(params.get("subscription_data"), dict) else {},
        _setup_intent_data=params.get("setup_intent_data") if isinstance(params.get("setup_intent_data"), dict) else {},
        _attempts=[],
    )
    apply_metadata(session, params)
    store.add(session)
    return session


def _discounts(request, params, mode, total) -> tuple[list, int]:
    """`discounts[0][promotion_code]` (or `[coupon]`) in payment mode: the coupon's percent or amount off the
    total, rounded to the nearest minor unit as Stripe does. At most one discount per session."""
    raw = params.get("discounts")
    if not raw:
        return [], 0
    entries = list(raw.values()) if isinstance(raw, dict) else list(raw)
    if len(entries) > 1:
        raise invalid("discounts", "You may only specify one discount per Checkout Session.")
    if mode != "payment" or total is None:
        raise invalid("discounts", "Discounts are supported in `payment` mode only in this emulator.")
    if params.get("allow_promotion_codes"):
        raise invalid("discounts", "You may only specify one of these parameters: allow_promotion_codes, discounts.")
    entry = entries[0] if isinstance(entries[0], dict) else {}
    promo = None
    if entry.get("promotion_code"):
        promo = request.store.get("promotion_code", entry["promotion_code"], "discounts[0][promotion_code]")
        problem = promotion_code_usable(request, promo)
        if problem:
            raise invalid("discounts[0][promotion_code]", problem)
        coupon = request.store.get("coupon", promo["promotion"]["coupon"])
    elif entry.get("coupon"):
        coupon = request.store.get("coupon", entry["coupon"], "discounts[0][coupon]")
        if not coupon.get("valid"):
            raise invalid("discounts[0][coupon]", f"This coupon is no longer valid: {coupon['id']}.")
    else:
        raise missing("discounts[0][promotion_code]")
    if coupon.get("percent_off") is not None:
        # Exact decimal arithmetic, half up, as Stripe rounds a percentage discount to the minor unit.
        share = Decimal(str(coupon["percent_off"])) * total / 100
        amount = int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        amount = int(coupon.get("amount_off") or 0)
    amount = min(amount, total)
    return [{"coupon": None if promo else coupon["id"], "promotion_code": promo["id"] if promo else None}], amount


def _check_expiry(request, session):
    if session["status"] == "open" and request.em.now(session.get("customer")) >= session["expires_at"]:
        _expire(request, session)


def _expire(request, session):
    before = copy.deepcopy(session)
    session["status"] = "expired"
    session["url"] = None
    if session.get("payment_intent"):
        pi = request.store.maybe("payment_intent", session["payment_intent"])
        if pi and pi["status"] not in ("succeeded", "canceled"):
            pi_before = copy.deepcopy(pi)
            pi["status"] = "canceled"
            pi["canceled_at"] = request.em.now(pi.get("customer"))
            pi["cancellation_reason"] = "abandoned"
            request.em.emit("payment_intent.canceled", pi, request.em.changed(pi_before, pi))
    request.em.emit("checkout.session.expired", session, request.em.changed(before, session))


@route("GET", r"/v1/checkout/sessions/(cs_test_\w+)")
def retrieve_session(request):
    session = request.store.get("checkout.session", request.args[0])
    _check_expiry(request, session)
    return session


@route("POST", r"/v1/checkout/sessions/(cs_test_\w+)")
def update_session(request):
    session = request.store.get("checkout.session", request.args[0])
    apply_metadata(session, request.params)
    return session


@route("POST", r"/v1/checkout/sessions/(cs_test_\w+)/expire")
def expire_session(request):
    session = request.store.get("checkout.session", request.args[0])
    if session["status"] != "open":
        raise InvalidRequest(
            'Only Checkout Sessions with a status in ["open"] can be expired. '
            f'This Checkout Session has a status of "{session["status"]}".',
        )
    _expire(request, session)
    return session


@route("GET", r"/v1/checkout/sessions")
def list_sessions(request):
    objs = request.store.all("checkout.session")
    for session in objs:
        _check_expiry(request, session)
    for name in ("customer", "payment_intent", "subscription", "status", "client_reference_id"):
        if request.params.get(name):
            objs = [s for s in objs if s.get(name) == request.params[name]]
    objs = filter_range(objs, request.params, "created")
    return paginate(request, objs, "/v1/checkout/sessions")


@route("GET", r"/v1/checkout/sessions/(cs_test_\w+)/line_items")
def list_session_line_items(request):
    session = request.store.get("checkout.session", request.args[0])
    return paginate(request, session["_line_items"], f"/v1/checkout/sessions/{session['id']}/line_items")


# -- paying ---------------------------------------------------------------------------------
def _parse_expiry(value: str):
    digits = [p for p in str(value or "").replace(" ", "").replace("-", "/").split("/") if p]
    if len(digits) == 1 and len(digits[0]) in (4, 6):
        digits = [digits[0][:2], digits[0][2:]]
    if len(digits) != 2:
        raise CardError("Your card's expiration date is incomplete.", code="invalid_expiry_month", param="exp_month")
    return digits[0], digits[1]


def pay_session(request, session: dict, form: dict) -> str | None:
    """Try to pay ``session`` with the card in ``form``; None on success, else a message."""
    _store, em = request.store, request.em
    _check_expiry(request, session)
    if session["status"] != "open":
        return "This Checkout Session is no longer available."
    for discount in session.get("discounts") or []:
        promo = request.store.maybe("promotion_code", discount.get("promotion_code"))
        problem = promotion_code_usable(request, promo) if promo else None
        if problem:
            return problem
    email = (form.get("email") or "").strip() or (session.get("customer_details") or {}).get("email")
    name = (form.get("name") or "").strip() or None
    if not email:
        return "Your email is incomplete."
    try:
        exp_month, exp_year = _parse_expiry(
            form.get("expiry") or f"{form.get('exp_month', '')}/{form.get('exp_year', '')}"
        )
        number = validate_card(form.get("card_number"), exp_month, exp_year, form.get("cvc") or None)
    except StripeError as exc:
        return exc.message
    billing = {"email": email, "name": name, "address": {"postal_code": form.get("postal_code") or None}}
    pm = new_card_payment_method(request, number, exp_month, exp_year, billing)
    session["_attempts"].append(pm["id"])
    before = copy.deepcopy(session)
    details = {
        "address": address(billing["address"]),
        "email": email,
        "name": name,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
        "business_name": None,
        "individual_name": name,
    }
    if session["mode"] == "payment":
        error = _pay_payment_mode(request, session, pm)
    elif session["mode"] == "setup":
        error = _setup_mode(request, session, pm, email, name)
    else:
        error = _pay_subscription_mode(request, session, pm, email, name)
    if error:
        return error
    paid = "no_payment_required" if session["mode"] == "setup" else "paid"
    session.update(status="complete", payment_status=paid, customer_details=details, url=None)
    for discount in session.get("discounts") or []:
        if discount.get("promotion_code"):
            redeem_promotion_code(request, discount["promotion_code"])
    session["collected_information"] = {"business_name": None, "individual_name": None, "shipping_details": None}
    em.emit("checkout.session.completed", session, em.changed(before, session))
    return None


def _pay_payment_mode(request, session, pm) -> str | None:
    store = request.store
    pi = store.maybe("payment_intent", session.get("payment_intent"))
    if pi is None:
        data = session["_payment_intent_data"]
        customer_id = session.get("customer")
        if not customer_id and session.get("customer_creation") == "always":
            from .customers import create_customer

            sub = copy.copy(request)
            sub.params = {"email": pm["billing_details"]["email"], "name": pm["billing_details"]["name"] or ""}
            customer_id = create_customer(sub)["id"]
            session["customer"] = customer_id
        pi = new_payment_intent(
            request,
            amount=session["amount_total"],
            currency=session["currency"],
            customer=customer_id,
            description=data.get("description"),
            metadata=data.get("metadata") if isinstance(data.get("metadata"), dict) else {},
            payment_method_types=["card"],
        )
        for key in ("transfer_group", "receipt_email", "setup_future_usage"):
            if data.get(key):
                pi[key] = data[key]
        if isinstance(data.get("transfer_data"), dict):
            pi["transfer_data"] = {
                "destination": data["transfer_data"].get("destination"),
                "amount": get_int(data["transfer_data"], "amount"),
            }
        if data.get("application_fee_amount"):
            pi["application_fee_amount"] = get_int(data, "application_fee_amount")
        session["payment_intent"] = pi["id"]
    if attempt_payment(request, pi, pm, raise_on_decline=False):
        return None
    return pi["last_payment_error"]["message"]


def _session_customer(request, session, email, name) -> dict:
    """The session's customer, created from the form when the session has none."""
    from .customers import create_customer

    customer = request.store.maybe("customer", session.get("customer"))
    if customer is None:
        sub_request = copy.copy(request)
        sub_request.params = {"email": email, "name": name or ""}
        customer = create_customer(sub_request)
        session["customer"] = customer["id"]
    return customer


def _pay_subscription_mode(request, session, pm, email, name) -> str | None:
    from . import billing

    em = request.em
    failure = charge_failure(pm)
    if failure:
        return decline_error(failure).message
    customer = _session_customer(request, session, email, name)
    try:
        attach_payment_method(request, pm, customer)
    except StripeError as exc:
        return exc.message
    before = copy.deepcopy(customer)
    customer["invoice_settings"]["default_payment_method"] = pm["id"]
    em.emit("customer.updated", customer, em.changed(before, customer))
    data = session["_subscription_data"]
    items = [
        {"price": i["price"]["id"], "quantity": i["quantity"]}
        for i in session["_line_items"]
        if i["price"]["type"] == "recurring"
    ]
    extras = [i for i in session["_line_items"] if i["price"]["type"] != "recurring"]
    subscription = billing.create_subscription_record(
        request,
        customer,
        items,
        default_payment_method=pm["id"],
        metadata=data.get("metadata") if isinstance(data.get("metadata"), dict) else {},
        trial_period_days=get_int(data, "trial_period_days"),
        one_time_items=extras,
        description=data.get("description"),
    )
    session["subscription"] = subscription["id"]
    session["invoice"] = subscription.get("latest_invoice")
    if subscription["status"] not in ("active", "trialing"):
        return "Your card was declined."
    return None


def _setup_mode(request, session, pm, email, name) -> str | None:
    """Save a card for later: a succeeded SetupIntent, the card attached to the customer."""
    from .setup_intents import new_setup_intent

    failure = setup_failure(pm)  # a SetupIntent verifies the card
    if failure:
        return decline_error(failure).message
    customer = _session_customer(request, session, email, name)
    try:
        attach_payment_method(request, pm, customer)
    except StripeError as exc:
        return exc.message
    data = session["_setup_intent_data"]
    intent = new_setup_intent(
        request,
        customer=customer["id"],
        payment_method=pm["id"],
        metadata=data.get("metadata") if isinstance(data.get("metadata"), dict) else {},
        description=data.get("description"),
    )
    session["setup_intent"] = intent["id"]
    return None


# -- hosted page -------------------------------------------------------------------------------
CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f8fa;color:#1a1f36}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;
box-shadow:0 2px 8px rgba(0,0,0,.08)}
h1{font-size:1.25rem;margin:0 0 .5rem}
.total{font-size:2rem;font-weight:600;margin:.25rem 0 1.5rem}
ul.items{list-style:none;padding:0;margin:0 0 1.5rem}
ul.items li{display:flex;justify-content:space-between;padding:.25rem 0;border-bottom:1px solid #e3e8ee}
label{display:block;font-weight:500;margin:.75rem 0 .25rem}
input{width:100%;padding:.6rem;border:1px solid #c1c9d2;border-radius:6px;font-size:1rem}
input:focus{outline:3px solid #635bff55;border-color:#635bff}
.row{display:flex;gap:1rem}.row>div{flex:1}
button{margin-top:1.5rem;width:100%;padding:.8rem;background:#635bff;color:#fff;border:0;
border-radius:6px;font-size:1rem;font-weight:600;cursor:pointer}
button:focus{outline:3px solid #1a1f36}
.error{background:#fdecea;color:#9b1c1c;border:1px solid #f5c2c0;padding:.75rem;border-radius:6px;margin-bottom:1rem}
.notice{color:#525f7f}
a{color:#4f46e5}
.test{font-size:.8rem;color:#697386;margin-top:1.5rem}
"""


def _money(amount, currency):
    if currency in ("usd", "eur", "gbp", "cad", "aud"):
        symbol = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}[currency]
        return f"{symbol}{amount / 100:,.2f}"
    return f"{amount / 100:,.2f} {currency.upper()}"


PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action *; base-uri 'none'"


def _page(title: str, body: str, status: int = 200) -> Response:
    document = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/checkout/static/checkout.css">
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""
    return Response(
        status,
        document.encode(),
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "Cache-Control": "no-store",
        },
    )


def render_checkout_page(session: dict, error: str | None = None, form: dict | None = None) -> Response:
    form = form or {}
    esc = html.escape
    if session["status"] != "open":
        message = (
            "This payment has already been completed."
            if session["status"] == "complete"
            else "This Checkout Session has expired."
        )
        return _page(
            "Checkout",
            f'<h1>Checkout</h1><p class="notice" role="status">{message}</p>',
            200,
        )
    items = "".join(
        f"<li><span>{esc(i['description'] or '')} × {i['quantity']}</span>"
        f"<span>{_money(i['amount_total'], i['currency'])}"
        f"{' / ' + i['price']['recurring']['interval'] if i['price'].get('recurring') else ''}</span></li>"
        for i in session["_line_items"]
    )
    email = form.get("email") or (session.get("customer_details") or {}).get("email") or ""
    verb = {"subscription": "Subscribe", "setup": "Save card"}.get(session["mode"], "Pay")
    total = (
        f'<p class="total" id="total">{_money(session["amount_total"], session["currency"])}</p>'
        if session["amount_total"] is not None
        else '<p class="notice" id="total">Save a card for future payments. You will not be charged now.</p>'
    )
    error_html = f'<div class="error" role="alert" id="card-errors">{esc(error)}</div>' if error else ""
    cancel = (
        f'<p><a href="{esc(session["cancel_url"])}" id="cancel-link">Cancel and return</a></p>'
        if session.get("cancel_url")
        else ""
    )
    body = f"""
<h1>{verb}</h1>
{total}
{'<ul class="items" aria-label="Order summary">' + items + "</ul>" if items else ""}
{error_html}
<form method="post" action="/checkout/{esc(session["id"])}" novalidate>
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required value="{esc(email)}">
  <label for="card_number">Card number</label>
  <input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number"
    placeholder="1234 1234 1234 1234" required value="{esc(form.get("card_number", ""))}">
  <div class="row">
    <div><label for="expiry">Expiry (MM / YY)</label>
    <input id="expiry" name="expiry" autocomplete="cc-exp" placeholder="MM / YY" required
      value="{esc(form.get("expiry", ""))}"></div>
    <div><label for="cvc">CVC</label>
    <input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="CVC" required></div>
  </div>
  <label for="name">Name on card</label>
  <input id="name" name="name" autocomplete="cc-name" required value="{esc(form.get("name", ""))}">
  <button type="submit" id="submit">{verb}</button>
</form>
{cancel}
<p class="test">Stripe emulator test mode: use 4242 4242 4242 4242, any future expiry and any CVC.</p>
"""
    return _page("Checkout", body)  # 200 even after a decline: the page itself loaded fine


@route("GET", r"/checkout/static/checkout\.css")
def checkout_css(request):
    return Response(200, CSS.encode(), "text/css; charset=utf-8", {"Cache-Control": "max-age=3600"})


@route("GET", r"/checkout/(cs_test_\w+)")
def checkout_page(request):
    session = request.store.maybe("checkout.session", request.args[0])
    if session is None:
        return _page("Checkout", '<h1>Checkout</h1><p role="status">This Checkout Session does not exist.</p>', 404)
    _check_expiry(request, session)
    return render_checkout_page(session)


def success_redirect(session) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


@route("POST", r"/checkout/(cs_test_\w+)")
def checkout_submit(request):
    session = request.store.maybe("checkout.session", request.args[0])
    if session is None:
        return _page("Checkout", '<h1>Checkout</h1><p role="status">This Checkout Session does not exist.</p>', 404)
    form = {k: v for k, v in request.params.items() if isinstance(v, str)}
    error = pay_session(request, session, form)
    if error:
        return render_checkout_page(session, error, form)
    return redirect(success_redirect(session))


@route("POST", r"/_emulator/checkout/(cs_test_\w+)/pay")
def control_pay(request):
    session = request.store.get("checkout.session", request.args[0])
    form = {k: str(v) for k, v in request.params.items()}
    form.setdefault("expiry", "12/34")
    form.setdefault("cvc", "123")
    form.setdefault("email", (session.get("customer_details") or {}).get("email") or "customer@example.com")
    form.setdefault("name", "Test Customer")
    error = pay_session(request, session, form)
    return {
        "ok": error is None,
        "error": error,
        "redirect": success_redirect(session) if error is None else None,
        "session": session,
    }
