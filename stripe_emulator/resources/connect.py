"""Connect: the platform account, Express accounts, onboarding links, transfers, reversals."""

from __future__ import annotations

import copy
import html

from ..errors import InvalidRequest, NotFound, invalid, missing
from ..routing import Response, apply_metadata, get_int, get_str, paginate, redirect, route
from ..shapes import build, deleted, list_object
from ..store import random_token
from .checkout import PAGE_CSP
from .payments import create_balance_transaction

ONBOARDING_FIELDS = [
    "business_profile.url",
    "external_account",
    "individual.dob.day",
    "individual.email",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
]


def _requirements(due: list[str]) -> dict:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def _account(request, account_id, *, kind, email=None, country="US", enabled=False, created=None) -> dict:
    account = build(
        "account",
        id=account_id,
        business_type=None,
        capabilities={
            "card_payments": "active" if enabled else "inactive",
            "transfers": "active" if enabled else "inactive",
        },
        charges_enabled=enabled,
        controller={"is_controller": True, "type": "application"} if kind != "standard" else {"type": "account"},
        country=country,
        created=created or request.em.now(),
        default_currency="usd",
        details_submitted=enabled,
        email=email,
        payouts_enabled=enabled,
        requirements=_requirements([] if enabled else ONBOARDING_FIELDS),
        future_requirements=_requirements([]),
        type=kind,
    )
    account["external_accounts"] = list_object([], f"/v1/accounts/{account_id}/external_accounts")
    account["settings"]["dashboard"]["display_name"] = email or "Stripe Emulator"
    account["settings"]["payouts"]["schedule"] = {"delay_days": 2, "interval": "daily"}
    account["tos_acceptance"] = {"date": None, "ip": None, "user_agent": None}
    return account


def platform_account(request) -> dict:
    store = request.store
    account = store.maybe("account", store.platform_account_id)
    if account is None:
        account = _account(
            request, store.platform_account_id, kind="standard", email="platform@example.com", enabled=True
        )
        account["business_profile"]["name"] = "Stripe Emulator Platform"
        account["tos_acceptance"] = {"date": account["created"], "ip": "127.0.0.1", "user_agent": None}
        account["_platform"] = True
        store.add(account)
    return account


@route("GET", r"/v1/account")
def retrieve_platform(request):
    return platform_account(request)


@route("POST", r"/v1/accounts")
def create_account(request):
    params = request.params
    platform_account(request)
    kind = params.get("type")
    controller = params.get("controller") if isinstance(params.get("controller"), dict) else {}
    if not kind:
        dashboard = (
            (controller.get("stripe_dashboard") or {}).get("type")
            if isinstance(controller.get("stripe_dashboard"), dict)
            else None
        )
        kind = {"express": "express", "none": "custom", "full": "standard"}.get(
            dashboard, "express" if controller else None
        )
    if kind not in ("express", "custom", "standard"):
        raise missing("type")
    account = _account(
        request,
        request.store.new_id("acct_", 16),
        kind=kind,
        email=params.get("email"),
        country=params.get("country") or "US",
    )
    if params.get("business_type"):
        account["business_type"] = params["business_type"]
    if isinstance(params.get("business_profile"), dict):
        for key in ("name", "url", "mcc", "product_description", "support_email"):
            if key in params["business_profile"]:
                account["business_profile"][key] = params["business_profile"][key] or None
    apply_metadata(account, params)
    request.store.add(account)
    return account


@route("GET", r"/v1/accounts/(acct_\w+)")
def retrieve_account(request):
    if request.args[0] == request.store.platform_account_id:
        return platform_account(request)
    return request.store.get("account", request.args[0], "account")


@route("POST", r"/v1/accounts/(acct_\w+)")
def update_account(request):
    account = request.store.get("account", request.args[0], "account")
    before = copy.deepcopy(account)
    if "email" in request.params:
        account["email"] = request.params["email"] or None
    if isinstance(request.params.get("business_profile"), dict):
        for key, value in request.params["business_profile"].items():
            if key in account["business_profile"] and isinstance(value, str):
                account["business_profile"][key] = value or None
    apply_metadata(account, request.params)
    previous = request.em.changed(before, account)
    if previous:
        request.em.emit("account.updated", account, previous)
    return account


@route("DELETE", r"/v1/accounts/(acct_\w+)")
def delete_account(request):
    account = request.store.get("account", request.args[0], "account")
    if account.get("_platform"):
        raise InvalidRequest("You cannot delete your own account.")
    account["_deleted"] = True
    return deleted("account", account["id"])


@route("GET", r"/v1/accounts")
def list_accounts(request):
    objs = [a for a in request.store.all("account") if not a.get("_platform")]
    return paginate(request, objs, "/v1/accounts")


@route("POST", r"/v1/accounts/(acct_\w+)/login_links")
def login_link(request):
    request.store.get("account", request.args[0], "account")
    return {
        "object": "login_link",
        "created": request.em.now(),
        "url": f"{request.base_url}/connect/express/{request.args[0]}",
    }


# -- onboarding --------------------------------------------------------------------------------
@route("POST", r"/v1/account_links")
def create_account_link(request):
    params = request.params
    account = request.store.get("account", get_str(params, "account", required=True), "account")
    link_type = params.get("type") or "account_onboarding"
    if link_type not in ("account_onboarding", "account_update"):
        raise invalid("type", "Invalid type: must be one of account_onboarding or account_update")
    return_url = get_str(params, "return_url")
    refresh_url = get_str(params, "refresh_url")
    if not return_url:
        raise missing("return_url")
    token = random_token(12)
    now = request.em.now()
    link = {
        "object": "account_link",
        "created": now,
        "expires_at": now + 300,
        "url": f"{request.base_url}/connect/onboarding/{account['id']}/{token}",
    }
    request.store.collection("_account_link")[token] = {
        **link,
        "_account": account["id"],
        "_return_url": return_url,
        "_refresh_url": refresh_url or return_url,
        "_used": False,
    }
    return link


def complete_onboarding(request, account) -> dict:
    if account["details_submitted"] and account["payouts_enabled"]:
        return account
    before = copy.deepcopy(account)
    account.update(details_submitted=True, charges_enabled=True, payouts_enabled=True, requirements=_requirements([]))
    account["capabilities"] = {"card_payments": "active", "transfers": "active"}
    account["tos_acceptance"] = {"date": request.em.now(), "ip": "127.0.0.1", "user_agent": "stripe-emulator"}
    account["external_accounts"]["data"] = [
        {
            "id": "ba_" + random_token(24),
            "object": "bank_account",
            "account": account["id"],
            "bank_name": "STRIPE TEST BANK",
            "country": "US",
            "currency": "usd",
            "last4": "6789",
            "routing_number": "110000000",
            "status": "new",
            "default_for_currency": True,
        }
    ]
    request.em.emit("account.updated", account, request.em.changed(before, account))
    return account


ONBOARDING_CSS_LINK = '<link rel="stylesheet" href="/checkout/static/checkout.css">'


def _onboarding_page(account, token, error=None) -> Response:
    esc = html.escape
    error_html = f'<div class="error" role="alert">{esc(error)}</div>' if error else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Set up payouts</title><link rel="icon" href="data:,">{ONBOARDING_CSS_LINK}</head>
<body><main>
<h1>Set up payouts for your account</h1>
<p class="notice">Stripe emulator test mode: any values are accepted.</p>
{error_html}
<form method="post" action="/connect/onboarding/{esc(account["id"])}/{esc(token)}">
  <label for="business_name">Business or public name</label>
  <input id="business_name" name="business_name" required value="{esc(account["business_profile"]["name"] or "")}">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" required value="{esc(account.get("email") or "")}">
  <label for="routing_number">Routing number</label>
  <input id="routing_number" name="routing_number" inputmode="numeric" value="110000000" required>
  <label for="account_number">Account number</label>
  <input id="account_number" name="account_number" inputmode="numeric" value="000123456789" required>
  <button type="submit" id="submit">Agree and submit</button>
</form>
</main></body></html>
"""
    return Response(
        200,
        body.encode(),
        headers={"Content-Security-Policy": PAGE_CSP},
    )


def _link(request):
    account_id, token = request.args
    link = request.store.collection("_account_link").get(token)
    if link is None or link["_account"] != account_id:
        raise NotFound("account_link", token)
    return link


@route("GET", r"/connect/onboarding/(acct_\w+)/(\w+)")
def onboarding_page(request):
    link = _link(request)
    if link["_used"] or request.store.wall_time() > link["expires_at"] + 3600:
        return redirect(link["_refresh_url"])
    account = request.store.get("account", link["_account"])
    return _onboarding_page(account, request.args[1])


@route("POST", r"/connect/onboarding/(acct_\w+)/(\w+)")
def onboarding_submit(request):
    link = _link(request)
    if link["_used"]:
        return redirect(link["_refresh_url"])
    account = request.store.get("account", link["_account"])
    if request.params.get("business_name"):
        account["business_profile"]["name"] = request.params["business_name"]
    if request.params.get("email") and not account.get("email"):
        account["email"] = request.params["email"]
    complete_onboarding(request, account)
    link["_used"] = True
    return redirect(link["_return_url"])


@route("POST", r"/_emulator/accounts/(acct_\w+)/onboard")
def control_onboard(request):
    return complete_onboarding(request, request.store.get("account", request.args[0], "account"))


# -- transfers ------------------------------------------------------------------------------------
def _new_transfer(
    request,
    *,
    amount,
    currency,
    destination,
    transfer_group=None,
    metadata=None,
    description=None,
    source_transaction=None,
) -> dict:
    store = request.store
    now = request.em.now()
    transfer_id = store.new_id("tr_")
    txn = create_balance_transaction(
        request, amount=-amount, currency=currency, source=transfer_id, kind="transfer", created=now
    )
    transfer = build(
        "transfer",
        id=transfer_id,
        amount=amount,
        amount_reversed=0,
        balance_transaction=txn["id"],
        created=now,
        currency=currency,
        description=description,
        destination=destination,
        destination_payment="py_" + random_token(24),
        metadata=dict(metadata or {}),
        reversals=list_object([], f"/v1/transfers/{transfer_id}/reversals"),
        reversed=False,
        source_transaction=source_transaction,
        source_type="card",
        transfer_group=transfer_group,
    )
    store.add(transfer)
    request.em.emit("transfer.created", transfer)
    return transfer


def destination_transfer(request, pi, charge) -> dict:
    data = pi["transfer_data"]
    amount = data.get("amount") or (pi["amount"] - (pi.get("application_fee_amount") or 0))
    transfer = _new_transfer(
        request,
        amount=amount,
        currency=pi["currency"],
        destination=data["destination"],
        transfer_group=pi.get("transfer_group"),
        source_transaction=charge["id"],
    )
    charge["transfer"] = transfer["id"]
    charge["transfer_data"] = {"amount": data.get("amount"), "destination": data["destination"]}
    return transfer


@route("POST", r"/v1/transfers")
def create_transfer(request):
    params = request.params
    amount = get_int(params, "amount", required=True)
    if amount < 1:
        raise invalid("amount", "This value must be greater than or equal to 1.")
    currency = get_str(params, "currency", required=True).lower()
    destination_id = get_str(params, "destination", required=True)
    destination = request.store.get("account", destination_id, "destination")
    if destination.get("_platform"):
        raise invalid("destination", "You cannot transfer to your own account.")
    if not destination["payouts_enabled"] or destination["capabilities"].get("transfers") != "active":
        raise InvalidRequest(
            "Your destination account needs to have at least one of the following capabilities "
            "enabled: transfers, crypto_transfers, legacy_payments. The account has not finished "
            "onboarding, so it cannot receive transfers or payouts yet.",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    if params.get("source_transaction"):
        request.store.get("charge", params["source_transaction"], "source_transaction")
    return _new_transfer(
        request,
        amount=amount,
        currency=currency,
        destination=destination_id,
        transfer_group=params.get("transfer_group"),
        metadata=params.get("metadata") if isinstance(params.get("metadata"), dict) else None,
        description=params.get("description"),
        source_transaction=params.get("source_transaction"),
    )


@route("GET", r"/v1/transfers/(tr_\w+)")
def retrieve_transfer(request):
    return request.store.get("transfer", request.args[0])


@route("POST", r"/v1/transfers/(tr_\w+)")
def update_transfer(request):
    transfer = request.store.get("transfer", request.args[0])
    before = copy.deepcopy(transfer)
    if "description" in request.params:
        transfer["description"] = request.params["description"] or None
    apply_metadata(transfer, request.params)
    request.em.emit("transfer.updated", transfer, request.em.changed(before, transfer))
    return transfer


@route("GET", r"/v1/transfers")
def list_transfers(request):
    objs = request.store.all("transfer")
    for name in ("destination", "transfer_group"):
        if request.params.get(name):
            objs = [t for t in objs if t.get(name) == request.params[name]]
    return paginate(request, objs, "/v1/transfers")


@route("POST", r"/v1/transfers/(tr_\w+)/reversals")
def create_reversal(request):
    store = request.store
    transfer = store.get("transfer", request.args[0], "id")
    remaining = transfer["amount"] - transfer["amount_reversed"]
    amount = get_int(request.params, "amount", default=remaining)
    if remaining <= 0:
        raise InvalidRequest(f"Transfer {transfer['id']} has already been fully reversed.")
    if amount < 1 or amount > remaining:
        raise InvalidRequest(
            f"You have attempted to reverse {amount} of transfer {transfer['id']}, but only {remaining} "
            "remains to be reversed.",
            param="amount",
            code="amount_too_large",
        )
    now = request.em.now()
    reversal_id = store.new_id("trr_")
    txn = create_balance_transaction(
        request, amount=amount, currency=transfer["currency"], source=reversal_id, kind="transfer_reversal", created=now
    )
    reversal = build(
        "transfer_reversal",
        id=reversal_id,
        amount=amount,
        balance_transaction=txn["id"],
        created=now,
        currency=transfer["currency"],
        destination_payment_refund="pyr_" + random_token(24),
        metadata=dict(request.params.get("metadata") or {}) if isinstance(request.params.get("metadata"), dict) else {},
        source_refund=None,
        transfer=transfer["id"],
    )
    store.add(reversal)
    before = copy.deepcopy(transfer)
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    reversals = [r for r in store.all("transfer_reversal") if r["transfer"] == transfer["id"]]
    transfer["reversals"] = list_object(
        reversals[:10], f"/v1/transfers/{transfer['id']}/reversals", len(reversals) > 10
    )
    request.em.emit("transfer.reversed", transfer, request.em.changed(before, transfer))
    return reversal


@route("GET", r"/v1/transfers/(tr_\w+)/reversals")
def list_reversals(request):
    request.store.get("transfer", request.args[0])
    objs = [r for r in request.store.all("transfer_reversal") if r["transfer"] == request.args[0]]
    return paginate(request, objs, f"/v1/transfers/{request.args[0]}/reversals")


@route("GET", r"/v1/transfers/(tr_\w+)/reversals/(trr_\w+)")
def retrieve_reversal(request):
    reversal = request.store.get("transfer_reversal", request.args[1])
    if reversal["transfer"] != request.args[0]:
        raise NotFound("transfer_reversal", request.args[1])
    return reversal
