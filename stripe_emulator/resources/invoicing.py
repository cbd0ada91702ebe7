"""Invoices sent for payment (collection_method=send_invoice): due dates, sending, the hosted invoice page
that pays with the test cards, and invoices going overdue.

* Finalizing any invoice gives it a ``hosted_invoice_url`` (``/invoice/{id}``); a ``send_invoice`` one also gets
  ``due_date`` = finalization + the subscription's ``days_until_due`` (or the invoice's own, default 30).
* ``POST /v1/invoices/{id}/send`` emits ``invoice.sent`` (the e-mail Stripe would send is not sent).
* The hosted page shows the invoice and a card form; paying emits ``invoice.paid`` like any payment.
* When "now" (a test clock's frozen time, else the wall clock) reaches the due date of an open invoice,
  ``invoice.overdue`` is emitted once and an active subscription becomes ``past_due``; paying returns it to
  ``active``. This runs lazily before each request and while a test clock advances.
"""

from __future__ import annotations

import copy
import html

from ..errors import InvalidRequest, StripeError
from ..routing import TIME_HOOKS, Response, route
from . import billing
from .checkout import _money, _page, _parse_expiry
from .payment_methods import new_card_payment_method, validate_card

DAY = 86400
DEFAULT_DAYS_UNTIL_DUE = 30


def _on_finalize(request, invoice) -> None:
    invoice["hosted_invoice_url"] = f"{request.base_url}/invoice/{invoice['id']}"
    if invoice.get("collection_method") == "send_invoice":
        sub = request.store.maybe("subscription", invoice.get("subscription"))
        days = (sub or {}).get("days_until_due") or invoice.get("_days_until_due") or DEFAULT_DAYS_UNTIL_DUE
        invoice["due_date"] = invoice["status_transitions"]["finalized_at"] + int(days) * DAY


billing.FINALIZE_HOOKS.append(_on_finalize)


@route("POST", r"/v1/invoices/(in_\w+)/send")
def send_invoice(request):
    invoice = request.store.get("invoice", request.args[0])
    if invoice.get("collection_method") != "send_invoice":
        raise InvalidRequest(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
            code="invoice_not_editable",
        )
    if invoice["status"] == "draft":
        billing.finalize_invoice(request, invoice)
    if invoice["status"] != "open":
        raise InvalidRequest(f"This invoice is {invoice['status']} and cannot be sent.", code="invoice_not_editable")
    invoice["_sent"] = invoice.get("_sent", 0) + 1
    request.em.emit("invoice.sent", invoice)
    return invoice


def mark_overdue(request, invoice) -> None:
    """Once per invoice: invoice.overdue, and the subscription past due."""
    em = request.em
    if invoice.get("_overdue") or invoice["status"] != "open" or not invoice.get("due_date"):
        return
    if em.now(invoice["customer"]) < invoice["due_date"]:
        return
    invoice["_overdue"] = True
    em.emit("invoice.overdue", invoice)
    sub = request.store.maybe("subscription", invoice.get("subscription"))
    if sub and sub["status"] == "active":
        before = copy.deepcopy(sub)
        sub["status"] = "past_due"
        em.emit("customer.subscription.updated", sub, em.changed(before, sub))


def sweep_overdue(request) -> None:
    for invoice in request.store.all("invoice"):
        if invoice["status"] == "open" and invoice.get("due_date") and not invoice.get("_overdue"):
            mark_overdue(request, invoice)


TIME_HOOKS.append(sweep_overdue)
billing.CLOCK_HOOKS.append(lambda request, clock, target: sweep_overdue(request))


# -- the hosted invoice page ----------------------------------------------------------------------
def _date(ts) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%-d %B %Y") if ts else "—"


def render_invoice_page(invoice: dict, error: str | None = None, form: dict | None = None) -> Response:
    esc = html.escape
    form = form or {}
    amount = _money(invoice["amount_due"], invoice["currency"])
    lines = "".join(
        f"<li><span>{esc(line.get('description') or '')}</span><span>{_money(line['amount'], line['currency'])}</span></li>"
        for line in invoice["lines"]["data"]
    )
    head = f"""
<h1>Invoice {esc(invoice.get("number") or invoice["id"])}</h1>
<p class="notice">From {esc(invoice.get("account_name") or "Stripe Emulator")} to {esc(invoice.get("customer_name") or invoice.get("customer_email") or "")}</p>
<p class="total" id="total">{amount}</p>
<p class="notice" id="due">Due {_date(invoice.get("due_date"))}</p>
<ul class="items" aria-label="Invoice lines">{lines}</ul>
"""
    if invoice["status"] == "paid":
        paid = _date(invoice["status_transitions"].get("paid_at"))
        return _page("Invoice", head + f'<p class="notice" role="status" id="paid">Paid on {paid}. Thank you.</p>')
    if invoice["status"] != "open":
        return _page("Invoice", head + f'<p class="notice" role="status">This invoice is {esc(invoice["status"])}.</p>')
    error_html = f'<div class="error" role="alert" id="card-errors">{esc(error)}</div>' if error else ""
    body = f"""{head}
{error_html}
<form method="post" action="/invoice/{esc(invoice["id"])}" novalidate>
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" value="{esc(form.get("email") or invoice.get("customer_email") or "")}">
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
  <button type="submit" id="submit">Pay {amount}</button>
</form>
<p class="test">Stripe emulator test mode: use 4242 4242 4242 4242, any future expiry and any CVC.</p>
"""
    return _page("Invoice", body)


def pay_hosted_invoice(request, invoice: dict, form: dict) -> str | None:
    """Pay the invoice with the card in ``form``; None on success, else the message to show."""
    if invoice["status"] == "paid":
        return None
    if invoice["status"] != "open":
        return f"This invoice is {invoice['status']} and cannot be paid."
    try:
        exp_month, exp_year = _parse_expiry(form.get("expiry") or "")
        number = validate_card(form.get("card_number"), exp_month, exp_year, form.get("cvc") or None)
    except StripeError as exc:
        return exc.message
    billing_details = {"email": form.get("email") or None, "name": (form.get("name") or "").strip() or None}
    pm = new_card_payment_method(request, number, exp_month, exp_year, billing_details)
    if billing.pay_invoice(request, invoice, pm):
        return None
    pi = billing.invoice_pi(request.store, invoice)
    return ((pi or {}).get("last_payment_error") or {}).get("message") or "Your card was declined."


@route("GET", r"/invoice/(in_\w+)")
def invoice_page(request):
    invoice = request.store.maybe("invoice", request.args[0])
    if invoice is None or invoice["status"] == "draft":
        return _page("Invoice", '<h1>Invoice</h1><p role="status">This invoice does not exist.</p>', 404)
    return render_invoice_page(invoice)


@route("POST", r"/invoice/(in_\w+)")
def invoice_submit(request):
    invoice = request.store.maybe("invoice", request.args[0])
    if invoice is None or invoice["status"] == "draft":
        return _page("Invoice", '<h1>Invoice</h1><p role="status">This invoice does not exist.</p>', 404)
    form = {k: v for k, v in request.params.items() if isinstance(v, str)}
    error = pay_hosted_invoice(request, invoice, form)
    return render_invoice_page(invoice, error, form)


@route("POST", r"/_emulator/invoices/(in_\w+)/pay")
def control_pay_invoice(request):
    """Pay an invoice as its hosted page would (no browser)."""
    invoice = request.store.get("invoice", request.args[0])
    form = {k: str(v) for k, v in request.params.items()}
    form.setdefault("card_number", "4242424242424242")
    form.setdefault("expiry", "12/34")
    form.setdefault("cvc", "123")
    error = pay_hosted_invoice(request, invoice, form)
    return {"ok": error is None, "error": error, "invoice": invoice}
