"""Subscriptions, invoices, invoice items, prorations, previews, test clocks and dunning.

Dunning: after a renewal payment fails the subscription becomes ``past_due`` and the
invoice is retried ``RETRY_SCHEDULE_DAYS`` days after that first failure (3, 5 and 7
days). When the last retry fails the subscription is canceled. Renewals and retries
happen when a test clock is advanced (the emulator has no background scheduler).
"""

from __future__ import annotations

import calendar
import copy
from datetime import UTC, datetime, timedelta

from ..errors import InvalidRequest, invalid, missing
from ..routing import apply_metadata, empty_to_none, filter_range, get_bool, get_int, get_str, paginate, route
from ..shapes import build, deleted, list_object
from ..store import random_token
from . import payments
from .payment_methods import decline_error, resolve_payment_method

RETRY_SCHEDULE_DAYS = (3, 5, 7)
# Callables (request, invoice) run when an invoice is finalized, and (request, clock, target) while a test
# clock advances; other resource modules register here rather than editing this one.
FINALIZE_HOOKS: list = []
CLOCK_HOOKS: list = []
DAY = 86400
LIVE_STATUSES = ("active", "trialing", "past_due", "incomplete", "unpaid", "paused")


# -- time helpers -----------------------------------------------------------------------------
def add_interval(ts: int, interval: str, count: int = 1, anchor_day: int | None = None) -> int:
    dt = datetime.fromtimestamp(ts, UTC)
    if interval == "day":
        return int((dt + timedelta(days=count)).timestamp())
    if interval == "week":
        return int((dt + timedelta(weeks=count)).timestamp())
    months = count * (12 if interval == "year" else 1)
    year, month0 = divmod(dt.month - 1 + months, 12)
    year += dt.year
    day = min(anchor_day or dt.day, calendar.monthrange(year, month0 + 1)[1])
    return int(dt.replace(year=year, month=month0 + 1, day=day).timestamp())


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, d = abs(numerator), abs(denominator)
    return sign * ((2 * n + d) // (2 * d))


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y")


# -- object builders ------------------------------------------------------------------------
def plan_from_price(price: dict) -> dict:
    recurring = price.get("recurring") or {}
    plan = build(
        "plan",
        id=price["id"],
        active=price["active"],
        amount=price["unit_amount"],
        amount_decimal=price["unit_amount_decimal"],
        billing_scheme=price["billing_scheme"],
        created=price["created"],
        currency=price["currency"],
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count"),
        metadata=dict(price.get("metadata") or {}),
        meter=None,
        nickname=price.get("nickname"),
        product=price["product"],
        tiers_mode=None,
        transform_usage=None,
        trial_period_days=recurring.get("trial_period_days"),
        usage_type=recurring.get("usage_type", "licensed"),
    )
    return plan


def _strip(obj):
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def new_item(request, sub_id: str, price: dict, quantity: int, start: int, end: int, metadata=None) -> dict:
    return build(
        "subscription_item",
        id=request.store.new_id("si_", 14),
        created=start,
        discounts=[],
        metadata=dict(metadata or {}),
        price=copy.deepcopy(_strip(price)),
        quantity=quantity,
        subscription=sub_id,
        tax_rates=[],
        plan=plan_from_price(price),
        current_period_end=end,
        current_period_start=start,
        billing_thresholds=None,
    )


def _product_name(store, price) -> str:
    product = store.maybe("product", price["product"])
    return product["name"] if product else price["product"]


def line_spec(
    amount, description, price, quantity, start, end, *, proration=False, subscription_item=None, invoice_item=None
) -> dict:
    return {
        "amount": amount,
        "description": description,
        "price": price,
        "quantity": quantity,
        "period": {"start": start, "end": end},
        "proration": proration,
        "subscription_item": subscription_item,
        "invoice_item": invoice_item,
    }


def build_line(store, invoice_id, sub_id, spec) -> dict:
    price = spec["price"]
    if spec["subscription_item"]:
        parent = {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": spec["invoice_item"],
                "proration": spec["proration"],
                "proration_details": {"credited_items": None},
                "subscription": sub_id,
                "subscription_item": spec["subscription_item"],
            },
        }
    else:
        parent = {
            "type": "invoice_item_details",
            "subscription_item_details": None,
            "invoice_item_details": {
                "invoice_item": spec["invoice_item"],
                "proration": spec["proration"],
                "proration_details": {"credited_items": None},
                "subscription": sub_id,
            },
        }
    pricing = None
    if price:
        pricing = {
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(price["unit_amount"]),
        }
    return build(
        "line_item",
        id=store.new_id("il_"),
        amount=spec["amount"],
        currency=price["currency"] if price else spec.get("currency", "usd"),
        description=spec["description"],
        discount_amounts=[],
        discountable=not spec["proration"],
        discounts=[],
        invoice=invoice_id,
        period=dict(spec["period"]),
        quantity=spec["quantity"],
        subscription=sub_id,
        pretax_credit_amounts=[],
        taxes=[],
        parent=parent,
        pricing=pricing,
        subtotal=spec["amount"],
        quantity_decimal=str(spec["quantity"]) if spec["quantity"] is not None else None,
    )


def regular_specs(store, sub, start=None, end=None) -> list[dict]:
    specs = []
    for item in sub["items"]["data"]:
        price = item["price"]
        s = start if start is not None else item["current_period_start"]
        e = end if end is not None else item["current_period_end"]
        specs.append(
            line_spec(
                price["unit_amount"] * item["quantity"],
                f"{item['quantity']} × {_product_name(store, price)} (at "
                f"{payments._money(price['unit_amount'], price['currency'])} / "
                f"{price['recurring']['interval']})",
                price,
                item["quantity"],
                s,
                e,
                subscription_item=item["id"],
            )
        )
    return specs


def invoice_object(
    request, customer, sub, specs, billing_reason, period_start, period_end, *, invoice_id=None, created=None
) -> dict:
    store = request.store
    invoice_id = invoice_id or store.new_id("in_")
    lines = [build_line(store, invoice_id, sub["id"] if sub else None, s) for s in specs]
    total = sum(line["amount"] for line in lines)
    currency = lines[0]["currency"] if lines else (sub or {}).get("currency") or "usd"
    created = created or request.em.now(customer["id"])
    invoice = build(
        "invoice",
        id=invoice_id,
        account_country="US",
        account_name="Stripe Emulator",
        amount_due=max(total, 0),
        amount_paid=0,
        amount_remaining=max(total, 0),
        amount_shipping=0,
        attempt_count=0,
        attempted=False,
        auto_advance=True,
        automatic_tax={"enabled": False, "liability": None, "status": None, "disabled_reason": None, "provider": None},
        billing_reason=billing_reason,
        collection_method=(sub or {}).get("collection_method", "charge_automatically"),
        created=created,
        currency=currency,
        customer=customer["id"],
        customer_address=customer.get("address"),
        customer_email=customer.get("email"),
        customer_name=customer.get("name"),
        customer_phone=customer.get("phone"),
        customer_shipping=customer.get("shipping"),
        customer_tax_exempt=customer.get("tax_exempt", "none"),
        customer_tax_ids=[],
        default_payment_method=None,
        default_tax_rates=[],
        description=None,
        discounts=[],
        due_date=None,
        effective_at=None,
        ending_balance=None,
        from_invoice=None,
        issuer={"type": "self"},
        last_finalization_error=None,
        lines=list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
        next_payment_attempt=None,
        number=None,
        payment_settings={"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        period_end=period_end,
        period_start=period_start,
        post_payment_credit_notes_amount=0,
        pre_payment_credit_notes_amount=0,
        rendering=None,
        shipping_cost=None,
        shipping_details=None,
        starting_balance=0,
        status="draft",
        status_transitions={"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None, "voided_at": None},
        subscription=sub["id"] if sub else None,
        subtotal=total,
        subtotal_excluding_tax=total,
        test_clock=customer.get("test_clock"),
        total=total,
        total_discount_amounts=[],
        total_excluding_tax=total,
        webhooks_delivered_at=None,
        automatically_finalizes_at=None,
        total_pretax_credit_amounts=[],
        total_taxes=[],
        amount_overpaid=0,
        parent=(
            {
                "type": "subscription_details",
                "quote_details": None,
                "subscription_details": {"metadata": dict(sub.get("metadata") or {}), "subscription": sub["id"]},
            }
            if sub
            else None
        ),
        payments=list_object([], f"/v1/invoice_payments?invoice={invoice_id}"),
        customer_account=None,
    )
    if invoice["amount_due"] == 0:
        invoice["auto_advance"] = False
    return invoice


def _pending_items(store, customer_id, sub_id=None) -> list[dict]:
    items = [ii for ii in store.all("invoiceitem") if ii["customer"] == customer_id and ii["invoice"] is None]
    if sub_id:
        items = [ii for ii in items if _ii_sub(ii) in (None, sub_id)]
    return sorted(items, key=lambda ii: ii["_seq"])


def _ii_sub(ii):
    parent = ii.get("parent") or {}
    return (parent.get("subscription_details") or {}).get("subscription")


def _ii_spec(store, ii) -> dict:
    price = store.maybe("price", ii.get("_price"))
    spec = line_spec(
        ii["amount"],
        ii["description"],
        price,
        ii["quantity"],
        ii["period"]["start"],
        ii["period"]["end"],
        proration=ii["proration"],
        subscription_item=ii.get("_subscription_item"),
        invoice_item=ii["id"],
    )
    spec["currency"] = ii["currency"]
    return spec


def create_invoice(
    request, customer, sub, specs, billing_reason, period_start, period_end, include_pending=True
) -> dict:
    store, em = request.store, request.em
    pending = _pending_items(store, customer["id"], sub["id"] if sub else None) if include_pending else []
    all_specs = [_ii_spec(store, ii) for ii in pending] + list(specs)
    invoice = invoice_object(request, customer, sub, all_specs, billing_reason, period_start, period_end)
    for ii in pending:
        ii["invoice"] = invoice["id"]
    store.add(invoice)
    if sub is not None:
        sub["latest_invoice"] = invoice["id"]
    em.emit("invoice.created", invoice)
    return invoice


def finalize_invoice(request, invoice) -> dict:
    store, em = request.store, request.em
    customer = store.get("customer", invoice["customer"])
    before = copy.deepcopy(invoice)
    now = em.now(customer["id"])
    invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
    customer["next_invoice_sequence"] += 1
    invoice["status"] = "open"
    invoice["effective_at"] = now
    invoice["status_transitions"]["finalized_at"] = now
    invoice["hosted_invoice_url"] = None
    invoice["webhooks_delivered_at"] = now
    for hook in FINALIZE_HOOKS:  # e.g. invoicing.py: the hosted page and the due date of send_invoice invoices
        hook(request, invoice)
    if invoice["amount_due"] > 0:
        pi = payments.new_payment_intent(
            request,
            amount=invoice["amount_due"],
            currency=invoice["currency"],
            customer=customer["id"],
            description={
                "subscription_create": "Subscription creation",
                "subscription_update": "Subscription update",
                "subscription_cycle": "Subscription cycle",
            }.get(invoice["billing_reason"], "Invoice payment"),
            payment_method_types=["card"],
            created=now,
            _invoice=invoice["id"],
        )
        invoice["payments"]["data"].append(
            build(
                "invoice_payment",
                id=store.new_id("inpay_"),
                amount_paid=None,
                amount_requested=invoice["amount_due"],
                created=now,
                currency=invoice["currency"],
                invoice=invoice["id"],
                is_default=True,
                payment={"type": "payment_intent", "payment_intent": pi["id"]},
                status="open",
                status_transitions={"canceled_at": None, "paid_at": None},
            )
        )
    em.emit("invoice.finalized", invoice, em.changed(before, invoice))
    if invoice["amount_due"] == 0:
        mark_invoice_paid(request, invoice)
    return invoice


def invoice_pi(store, invoice):
    for payment in invoice["payments"]["data"]:
        pi_id = payment["payment"].get("payment_intent")
        if pi_id:
            return store.maybe("payment_intent", pi_id)
    return None


def mark_invoice_paid(request, invoice) -> None:
    store, em = request.store, request.em
    if invoice["status"] == "paid":
        return
    before = copy.deepcopy(invoice)
    now = em.now(invoice["customer"])
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        next_payment_attempt=None,
        auto_advance=False,
    )
    invoice["status_transitions"]["paid_at"] = now
    for payment in invoice["payments"]["data"]:
        payment.update(status="paid", amount_paid=payment["amount_requested"])
        payment["status_transitions"]["paid_at"] = now
    em.emit("invoice.paid", invoice, em.changed(before, invoice))
    em.emit("invoice.payment_succeeded", invoice, em.changed(before, invoice))
    sub = store.maybe("subscription", invoice.get("subscription"))
    if sub and sub["status"] in ("past_due", "incomplete", "unpaid"):
        sub_before = copy.deepcopy(sub)
        sub["status"] = "active"
        sub.pop("_dunning", None)
        em.emit("customer.subscription.updated", sub, em.changed(sub_before, sub))
    elif sub:
        sub.pop("_dunning", None)


def _on_payment_success(request, pi):
    invoice = request.store.maybe("invoice", pi.get("_invoice"))
    if invoice and invoice["status"] == "open":
        mark_invoice_paid(request, invoice)


payments.SUCCESS_HOOKS.append(_on_payment_success)


def _payment_method_for(store, invoice, explicit=None):
    if explicit:
        return explicit
    sub = store.maybe("subscription", invoice.get("subscription"))
    customer = store.get("customer", invoice["customer"])
    pm_id = (
        (sub or {}).get("default_payment_method")
        or invoice.get("default_payment_method")
        or customer["invoice_settings"]["default_payment_method"]
    )
    return store.maybe("payment_method", pm_id)


def pay_invoice(request, invoice, pm=None, *, raise_on_decline=False) -> bool:
    """One collection attempt; True when the invoice ends up paid."""
    store, em = request.store, request.em
    if invoice["status"] == "paid":
        return True
    if invoice["status"] != "open":
        raise InvalidRequest(
            f"Invoice {invoice['id']} is {invoice['status']}; only open invoices can be paid.",
            code="invoice_not_open" if invoice["status"] != "draft" else "invoice_not_editable",
        )
    pm = _payment_method_for(store, invoice, pm)
    before = copy.deepcopy(invoice)
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    if pm is None:
        em.emit("invoice.payment_failed", invoice, em.changed(before, invoice))
        if raise_on_decline:
            raise InvalidRequest(
                "This customer has no attached payment source or default payment method. Please "
                "consider adding a default payment method.",
                code="missing_payment_method",
            )
        return False
    pi = invoice_pi(store, invoice)
    if pi["status"] == "requires_confirmation" or pi["status"] == "requires_payment_method":
        ok = payments.attempt_payment(request, pi, pm, raise_on_decline=False)
    else:
        ok = pi["status"] == "succeeded"
    if ok:
        return True
    em.emit("invoice.payment_failed", invoice, em.changed(before, invoice))
    if raise_on_decline:
        failure = payments.charge_failure(pm) or "generic_decline"
        raise decline_error(failure, payment_intent=None, charge=pi.get("latest_charge"))
    return False


# -- dunning --------------------------------------------------------------------------------------
def _start_dunning(request, sub, invoice, failed_at):
    em = request.em
    before = copy.deepcopy(sub)
    sub["status"] = "past_due"
    sub["_dunning"] = {"invoice": invoice["id"], "first_failure": failed_at, "retries": 0}
    invoice["next_payment_attempt"] = failed_at + RETRY_SCHEDULE_DAYS[0] * DAY
    em.emit("customer.subscription.updated", sub, em.changed(before, sub))


def _retry(request, sub, now):
    store = request.store
    dunning = sub["_dunning"]
    invoice = store.get("invoice", dunning["invoice"])
    invoice["next_payment_attempt"] = None
    if pay_invoice(request, invoice):
        return
    dunning["retries"] += 1
    if dunning["retries"] < len(RETRY_SCHEDULE_DAYS):
        invoice["next_payment_attempt"] = dunning["first_failure"] + RETRY_SCHEDULE_DAYS[dunning["retries"]] * DAY
    else:
        sub.pop("_dunning", None)
        cancel_subscription_now(request.em, sub, reason="payment_failed", at=now)


def next_action_time(sub) -> tuple[int, str] | None:
    if sub["status"] not in LIVE_STATUSES or sub["status"] == "incomplete":
        return None
    candidates = []
    ends = [i["current_period_end"] for i in sub["items"]["data"]]
    if ends:
        candidates.append((min(ends), "period_end"))
    if sub.get("cancel_at") and not sub.get("cancel_at_period_end"):
        candidates.append((sub["cancel_at"], "cancel_at"))
    dunning = sub.get("_dunning")
    if dunning:
        invoice_attempt = dunning["first_failure"] + RETRY_SCHEDULE_DAYS[dunning["retries"]] * DAY
        candidates.append((invoice_attempt, "retry"))
    return min(candidates) if candidates else None


def cancel_subscription_now(em, sub, reason="cancellation_requested", at=None) -> dict:
    before = copy.deepcopy(sub)
    now = at or em.now(sub["customer"])
    sub["status"] = "canceled"
    sub["ended_at"] = now
    sub["canceled_at"] = sub.get("canceled_at") or now
    sub["cancel_at_period_end"] = False if reason != "cancellation_requested" else sub["cancel_at_period_end"]
    sub["cancellation_details"] = {"comment": None, "feedback": None, "reason": reason}
    sub.pop("_dunning", None)
    em.emit("customer.subscription.deleted", sub, em.changed(before, sub))
    return sub


def renew(request, sub, at):
    store, em = request.store, request.em
    customer = store.get("customer", sub["customer"])
    before = copy.deepcopy(sub)
    for item in sub["items"]["data"]:
        if item["current_period_end"] <= at:
            recurring = item["price"]["recurring"]
            start = item["current_period_end"]
            item["current_period_start"] = start
            item["current_period_end"] = add_interval(
                start, recurring["interval"], recurring["interval_count"], sub.get("_anchor_day")
            )
    if sub["status"] == "trialing":
        sub["status"] = "active"
    start = min(i["current_period_start"] for i in sub["items"]["data"])
    end = max(i["current_period_end"] for i in sub["items"]["data"])
    invoice = create_invoice(request, customer, sub, regular_specs(store, sub), "subscription_cycle", start, end)
    em.emit("customer.subscription.updated", sub, em.changed(before, sub))
    finalize_invoice(request, invoice)
    if invoice["status"] != "paid" and sub["collection_method"] != "send_invoice" and not pay_invoice(request, invoice):
        _start_dunning(request, sub, invoice, at)


def run_clock(request, clock, target: int) -> None:
    store = request.store
    for _ in range(10000):
        customers = {c["id"] for c in store.all("customer") if c.get("test_clock") == clock["id"]}
        due = []
        for sub in store.all("subscription"):
            if sub["customer"] in customers:
                action = next_action_time(sub)
                if action and action[0] <= target:
                    due.append((action[0], action[1], sub["_seq"], sub))
        if not due:
            break
        at, kind, _, sub = min(due, key=lambda d: (d[0], d[2]))
        clock["frozen_time"] = max(clock["frozen_time"], at)
        if kind == "retry":
            _retry(request, sub, at)
        elif kind == "cancel_at" or sub.get("cancel_at_period_end"):
            cancel_subscription_now(request.em, sub, at=at)
        else:
            renew(request, sub, at)
    clock["frozen_time"] = target
    for hook in CLOCK_HOOKS:
        hook(request, clock, target)
    for session in store.all("checkout.session"):
        if session["status"] == "open" and session.get("customer") in customers and session["expires_at"] <= target:
            from .checkout import _expire

            _expire(request, session)


# -- subscriptions ----------------------------------------------------------------------------------
def _resolve_items(request, items_param) -> list[tuple[dict, int, dict]]:
    if not items_param:
        raise missing("items")
    resolved = []
    for index, entry in enumerate(items_param):
        if not isinstance(entry, dict):
            raise invalid(f"items[{index}]", "Invalid item.")
        price = _item_price(request, entry, index)
        quantity = get_int(entry, "quantity", default=1)
        resolved.append((price, quantity, entry.get("metadata") if isinstance(entry.get("metadata"), dict) else {}))
    intervals = {(p["recurring"]["interval"], p["recurring"]["interval_count"]) for p, _, _ in resolved}
    if len(intervals) > 1:
        raise invalid("items", "Currency and interval fields must match across all plans on a subscription.")
    return resolved


def _item_price(request, entry, index):
    if entry.get("price"):
        price = request.store.get("price", entry["price"], f"items[{index}][price]")
    elif entry.get("plan"):
        price = request.store.get("price", entry["plan"], f"items[{index}][plan]")
    elif isinstance(entry.get("price_data"), dict):
        from .catalog import create_price_record

        price = create_price_record(request, entry["price_data"])
    else:
        raise missing(f"items[{index}][price]")
    if price["type"] != "recurring":
        raise invalid(
            f"items[{index}][price]",
            "The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.",
        )
    if not price["active"]:
        raise invalid(f"items[{index}][price]", f"The price specified ({price['id']}) is inactive.")
    return price


def create_subscription_record(
    request,
    customer,
    items,
    *,
    default_payment_method=None,
    metadata=None,
    payment_behavior="allow_incomplete",
    trial_period_days=None,
    trial_end=None,
    one_time_items=(),
    description=None,
    collection_method="charge_automatically",
    days_until_due=None,
    cancel_at_period_end=False,
) -> dict:
    store, em = request.store, request.em
    resolved = _resolve_items(request, items)
    now = em.now(customer["id"])
    recurring = resolved[0][0]["recurring"]
    trialing = bool(trial_period_days or trial_end)
    period_end = (
        (trial_end or now + trial_period_days * DAY)
        if trialing
        else add_interval(now, recurring["interval"], recurring["interval_count"])
    )
    sub_id = store.new_id("sub_")
    sub_items = [new_item(request, sub_id, p, q, now, period_end, md) for p, q, md in resolved]
    sub = build(
        "subscription",
        id=sub_id,
        automatic_tax={"enabled": False, "liability": None, "disabled_reason": None},
        billing_cycle_anchor=period_end if trialing else now,
        billing_cycle_anchor_config=None,
        cancel_at=None,
        cancel_at_period_end=False,
        canceled_at=None,
        cancellation_details={"comment": None, "feedback": None, "reason": None},
        collection_method=collection_method,
        created=now,
        currency=resolved[0][0]["currency"],
        customer=customer["id"],
        days_until_due=days_until_due,
        default_payment_method=default_payment_method,
        default_tax_rates=[],
        description=description,
        discounts=[],
        ended_at=None,
        invoice_settings={
            "account_tax_ids": None,
            "issuer": {"type": "self"},
            "custom_fields": None,
            "description": None,
            "footer": None,
        },
        items=list_object(sub_items, f"/v1/subscription_items?subscription={sub_id}"),
        latest_invoice=None,
        metadata=dict(metadata or {}),
        next_pending_invoice_item_invoice=None,
        pause_collection=None,
        payment_settings={
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        pending_invoice_item_interval=None,
        pending_setup_intent=None,
        pending_update=None,
        start_date=now,
        status="trialing" if trialing else "incomplete",
        test_clock=customer.get("test_clock"),
        transfer_data=None,
        trial_end=period_end if trialing else None,
        trial_settings={"end_behavior": {"missing_payment_method": "create_invoice"}},
        trial_start=now if trialing else None,
        billing_thresholds=None,
        billing_mode={"type": "classic", "flexible": None},
        customer_account=None,
        managed_payments=None,
        billing_schedules=[],
        _anchor_day=datetime.fromtimestamp(now, UTC).day,
    )
    store.add(sub)
    em.emit("customer.subscription.created", sub)
    specs = regular_specs(store, sub)
    if trialing:
        for spec in specs:
            spec["amount"] = 0
            spec["description"] = "Trial period for " + _product_name(store, spec["price"])
    for extra in one_time_items:
        price = extra["price"]
        specs.append(
            line_spec(
                price["unit_amount"] * extra["quantity"],
                _product_name(store, price),
                price,
                extra["quantity"],
                now,
                now,
            )
        )
    invoice = create_invoice(request, customer, sub, specs, "subscription_create", now, now)
    finalize_invoice(request, invoice)
    if invoice["status"] == "paid" or trialing:
        if sub["status"] == "incomplete":
            before = copy.deepcopy(sub)
            sub["status"] = "active"
            em.emit("customer.subscription.updated", sub, em.changed(before, sub))
    elif collection_method == "send_invoice":
        # Billed by invoice: Stripe starts the subscription at once; the customer has days_until_due to pay.
        before = copy.deepcopy(sub)
        sub["status"] = "active"
        em.emit("customer.subscription.updated", sub, em.changed(before, sub))
    elif payment_behavior == "default_incomplete":
        pass
    else:
        ok = pay_invoice(request, invoice)
        if not ok and payment_behavior == "error_if_incomplete":
            pm = _payment_method_for(store, invoice)
            sub["_deleted"] = True
            invoice["status"] = "void"
            failure = payments.charge_failure(pm) if pm else None
            if failure is None:
                raise InvalidRequest(
                    "This customer has no attached payment source or default payment method.",
                    code="resource_missing",
                    param="default_payment_method",
                )
            raise decline_error(failure)
    if cancel_at_period_end:
        sub["cancel_at_period_end"] = True
        sub["cancel_at"] = period_end
        sub["canceled_at"] = now
    return sub


@route("POST", r"/v1/subscriptions")
def create_subscription(request):
    params, store = request.params, request.store
    customer = store.get("customer", get_str(params, "customer", required=True), "customer")
    pm_id = empty_to_none(params.get("default_payment_method"))
    if pm_id:
        pm = resolve_payment_method(request, pm_id, "default_payment_method")
        if pm.get("customer") != customer["id"]:
            raise invalid(
                "default_payment_method",
                f"The customer does not have a payment method with the ID {pm_id}. "
                "The payment method must be attached to the customer.",
            )
        pm_id = pm["id"]
    behavior = params.get("payment_behavior") or "allow_incomplete"
    if behavior not in ("allow_incomplete", "error_if_incomplete", "default_incomplete", "pending_if_incomplete"):
        raise invalid("payment_behavior", "Invalid payment_behavior.")
    sub = create_subscription_record(
        request,
        customer,
        params.get("items"),
        default_payment_method=pm_id,
        metadata=params.get("metadata") if isinstance(params.get("metadata"), dict) else {},
        payment_behavior=behavior,
        trial_period_days=get_int(params, "trial_period_days"),
        trial_end=get_int(params, "trial_end") if params.get("trial_end") not in (None, "now") else None,
        description=params.get("description"),
        collection_method=params.get("collection_method") or "charge_automatically",
        days_until_due=get_int(params, "days_until_due"),
        cancel_at_period_end=get_bool(params, "cancel_at_period_end", False),
    )
    return sub


@route("GET", r"/v1/subscriptions/(sub_\w+)")
def retrieve_subscription(request):
    return request.store.get("subscription", request.args[0])


def _apply_item_changes(request, sub, items_param, at) -> list[tuple]:
    """Mutate ``sub`` items; return (item_id, old_price, old_qty, new_price, new_qty, start, end)."""
    changes = []
    for index, entry in enumerate(items_param or []):
        if not isinstance(entry, dict):
            raise invalid(f"items[{index}]", "Invalid item.")
        if entry.get("id"):
            item = next((i for i in sub["items"]["data"] if i["id"] == entry["id"]), None)
            if item is None:
                raise InvalidRequest(
                    f"Subscription item {entry['id']} does not belong to subscription {sub['id']}.",
                    param=f"items[{index}][id]",
                )
            old_price, old_qty = item["price"], item["quantity"]
            if get_bool(entry, "deleted", False):
                sub["items"]["data"].remove(item)
                changes.append(
                    (item["id"], old_price, old_qty, None, 0, item["current_period_start"], item["current_period_end"])
                )
                continue
            new_price = (
                _item_price(request, entry, index)
                if (entry.get("price") or entry.get("price_data") or entry.get("plan"))
                else None
            )
            new_price = _strip(new_price) if new_price else old_price
            new_qty = get_int(entry, "quantity", default=old_qty)
            if isinstance(entry.get("metadata"), dict):
                item["metadata"].update(entry["metadata"])
            if new_price["id"] != old_price["id"] or new_qty != old_qty:
                item["price"] = copy.deepcopy(new_price)
                item["plan"] = plan_from_price(new_price)
                item["quantity"] = new_qty
                changes.append(
                    (
                        item["id"],
                        old_price,
                        old_qty,
                        new_price,
                        new_qty,
                        item["current_period_start"],
                        item["current_period_end"],
                    )
                )
        else:
            price = _strip(_item_price(request, entry, index))
            qty = get_int(entry, "quantity", default=1)
            ref = sub["items"]["data"][0] if sub["items"]["data"] else None
            start = ref["current_period_start"] if ref else at
            end = (
                ref["current_period_end"]
                if ref
                else add_interval(at, price["recurring"]["interval"], price["recurring"]["interval_count"])
            )
            item = new_item(
                request,
                sub["id"],
                price,
                qty,
                start,
                end,
                entry.get("metadata") if isinstance(entry.get("metadata"), dict) else None,
            )
            sub["items"]["data"].append(item)
            changes.append((item["id"], None, 0, price, qty, start, end))
    if not sub["items"]["data"]:
        raise invalid("items", "A subscription must have at least one active plan.")
    return changes


def proration_specs(store, changes, at) -> list[dict]:
    """Credit the unused part of the old price, charge the remaining part of the new one.

    amount = price × quantity × (period_end − at) / (period_end − period_start), each
    line rounded half up to a minor unit.
    """
    specs = []
    for item_id, old_price, old_qty, new_price, new_qty, start, end in changes:
        total = end - start
        remaining = max(0, min(end - at, total))
        if total <= 0 or remaining == 0:
            continue
        if old_price is not None and old_qty:
            amount = -half_up(old_price["unit_amount"] * old_qty * remaining, total)
            specs.append(
                line_spec(
                    amount,
                    f"Unused time on {old_qty} × {_product_name(store, old_price)} after {_date(at)}",
                    old_price,
                    old_qty,
                    at,
                    end,
                    proration=True,
                    subscription_item=item_id,
                )
            )
        if new_price is not None and new_qty:
            amount = half_up(new_price["unit_amount"] * new_qty * remaining, total)
            specs.append(
                line_spec(
                    amount,
                    f"Remaining time on {new_qty} × {_product_name(store, new_price)} after {_date(at)}",
                    new_price,
                    new_qty,
                    at,
                    end,
                    proration=True,
                    subscription_item=item_id,
                )
            )
    return specs


def create_invoice_item(request, customer, spec, sub_id=None) -> dict:
    store = request.store
    price = spec["price"]
    ii = build(
        "invoiceitem",
        id=store.new_id("ii_"),
        amount=spec["amount"],
        currency=price["currency"] if price else spec.get("currency", "usd"),
        customer=customer["id"],
        date=request.em.now(customer["id"]),
        description=spec["description"],
        discountable=not spec["proration"],
        discounts=[],
        invoice=None,
        period=dict(spec["period"]),
        proration=spec["proration"],
        quantity=spec["quantity"] or 1,
        tax_rates=[],
        test_clock=customer.get("test_clock"),
        parent={
            "type": "subscription_details",
            "subscription_details": {"subscription": sub_id, "subscription_item": spec["subscription_item"]},
        }
        if sub_id
        else None,
        pricing={
            "type": "price_details",
            "price_details": {"price": price["id"], "product": price["product"]},
            "unit_amount_decimal": str(price["unit_amount"]),
        }
        if price
        else None,
        net_amount=spec["amount"],
        customer_account=None,
        quantity_decimal=str(spec["quantity"] or 1),
        _price=price["id"] if price else None,
        _subscription_item=spec["subscription_item"],
    )
    store.add(ii)
    request.em.emit("invoiceitem.created", ii)
    return ii


def _proration_time(request, params, sub) -> int:
    at = get_int(params, "proration_date")
    return at if at is not None else request.em.now(sub["customer"])


@route("POST", r"/v1/subscriptions/(sub_\w+)")
def update_subscription(request):
    params, store, em = request.params, request.store, request.em
    sub = store.get("subscription", request.args[0])
    if sub["status"] in ("canceled", "incomplete_expired"):
        raise InvalidRequest("A canceled subscription can only update its cancellation_details and metadata.")
    before = copy.deepcopy(sub)
    behavior = params.get("proration_behavior") or "create_prorations"
    if behavior not in ("create_prorations", "always_invoice", "none"):
        raise invalid(
            "proration_behavior",
            "Invalid proration_behavior: must be one of create_prorations, always_invoice, or none",
        )
    if "default_payment_method" in params:
        pm_id = empty_to_none(params["default_payment_method"])
        if pm_id:
            pm = store.get("payment_method", pm_id, "default_payment_method")
            if pm.get("customer") != sub["customer"]:
                raise invalid("default_payment_method", "The payment method must be attached to the customer.")
        sub["default_payment_method"] = pm_id
    if "cancel_at_period_end" in params:
        flag = get_bool(params, "cancel_at_period_end")
        sub["cancel_at_period_end"] = flag
        sub["cancel_at"] = max(i["current_period_end"] for i in sub["items"]["data"]) if flag else None
        sub["canceled_at"] = em.now(sub["customer"]) if flag else None
        sub["cancellation_details"] = {
            "comment": None,
            "feedback": None,
            "reason": "cancellation_requested" if flag else None,
        }
    if "cancel_at" in params:
        sub["cancel_at"] = get_int(params, "cancel_at") if params["cancel_at"] != "" else None
    if isinstance(params.get("cancellation_details"), dict):
        for key in ("comment", "feedback"):
            if key in params["cancellation_details"]:
                sub["cancellation_details"][key] = empty_to_none(params["cancellation_details"][key])
    if "description" in params:
        sub["description"] = empty_to_none(params["description"])
    apply_metadata(sub, params)
    at = _proration_time(request, params, sub)
    invoice = None
    if params.get("items"):
        changes = _apply_item_changes(request, sub, params["items"], at)
        if behavior != "none":
            customer = store.get("customer", sub["customer"])
            for spec in proration_specs(store, changes, at):
                create_invoice_item(request, customer, spec, sub["id"])
            if behavior == "always_invoice":
                ends = [i["current_period_end"] for i in sub["items"]["data"]]
                invoice = create_invoice(request, customer, sub, [], "subscription_update", at, max(ends))
    previous = em.changed(before, sub)
    if previous:
        em.emit("customer.subscription.updated", sub, previous)
    if invoice is not None:
        finalize_invoice(request, invoice)
        if (
            invoice["status"] != "paid"
            and sub["collection_method"] != "send_invoice"
            and not pay_invoice(request, invoice)
        ):
            if params.get("payment_behavior") == "error_if_incomplete":
                pm = _payment_method_for(store, invoice)
                raise decline_error(payments.charge_failure(pm) or "generic_decline")
            _start_dunning(request, sub, invoice, at)
    return sub


@route("POST", r"/v1/subscriptions/(sub_\w+)/resume")
def resume_subscription(request):
    sub = request.store.get("subscription", request.args[0])
    before = copy.deepcopy(sub)
    sub.update(cancel_at_period_end=False, cancel_at=None, canceled_at=None, pause_collection=None)
    if sub["status"] == "paused":
        sub["status"] = "active"
    sub["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}
    request.em.emit(
        "customer.subscription.resumed" if before["status"] == "paused" else "customer.subscription.updated",
        sub,
        request.em.changed(before, sub),
    )
    return sub


@route("DELETE", r"/v1/subscriptions/(sub_\w+)")
def cancel_subscription(request):
    sub = request.store.get("subscription", request.args[0])
    if sub["status"] == "canceled":
        raise InvalidRequest(f"No such subscription: '{sub['id']}'", code="resource_missing", param="id", status=404)
    if isinstance(request.params.get("cancellation_details"), dict):
        for key in ("comment", "feedback"):
            sub["cancellation_details"][key] = request.params["cancellation_details"].get(key)
    return cancel_subscription_now(request.em, sub)


@route("GET", r"/v1/subscriptions")
def list_subscriptions(request):
    params = request.params
    objs = request.store.all("subscription")
    status = params.get("status")
    if status == "all":
        pass
    elif status:
        objs = [s for s in objs if s["status"] == status]
    else:
        objs = [s for s in objs if s["status"] not in ("canceled", "incomplete_expired")]
    for name in ("customer", "test_clock"):
        if params.get(name):
            objs = [s for s in objs if s.get(name) == params[name]]
    if params.get("price"):
        objs = [s for s in objs if any(i["price"]["id"] == params["price"] for i in s["items"]["data"])]
    return paginate(request, filter_range(objs, params, "created"), "/v1/subscriptions")


@route("GET", r"/v1/subscription_items")
def list_subscription_items(request):
    sub = request.store.get("subscription", get_str(request.params, "subscription", required=True), "subscription")
    return paginate(request, sub["items"]["data"], f"/v1/subscription_items?subscription={sub['id']}")


def _find_item(store, item_id):
    for sub in store.all("subscription"):
        for item in sub["items"]["data"]:
            if item["id"] == item_id:
                return sub, item
    from ..errors import NotFound

    raise NotFound("subscription_item", item_id)


@route("GET", r"/v1/subscription_items/(si_\w+)")
def retrieve_subscription_item(request):
    return _find_item(request.store, request.args[0])[1]


@route("POST", r"/v1/subscription_items/(si_\w+)")
def update_subscription_item(request):
    sub, item = _find_item(request.store, request.args[0])
    entry = {"id": item["id"]}
    for key in ("price", "quantity", "metadata"):
        if key in request.params:
            entry[key] = request.params[key]
    sub_request = copy.copy(request)
    sub_request.params = {
        "items": [entry],
        **{
            k: v for k, v in request.params.items() if k in ("proration_behavior", "proration_date", "payment_behavior")
        },
    }
    sub_request.args = (sub["id"],)
    update_subscription(sub_request)
    return _find_item(request.store, request.args[0])[1]


# -- invoices -----------------------------------------------------------------------------------------
@route("GET", r"/v1/invoices/(in_\w+)")
def retrieve_invoice(request):
    return request.store.get("invoice", request.args[0])


@route("GET", r"/v1/invoices/(in_\w+)/lines")
def list_invoice_lines(request):
    invoice = request.store.get("invoice", request.args[0])
    return paginate(request, invoice["lines"]["data"], f"/v1/invoices/{invoice['id']}/lines")


@route("GET", r"/v1/invoices")
def list_invoices(request):
    params = request.params
    objs = request.store.all("invoice")
    for name in ("customer", "subscription", "status", "collection_method"):
        if params.get(name):
            objs = [i for i in objs if i.get(name) == params[name]]
    return paginate(request, filter_range(objs, params, "created"), "/v1/invoices")


@route("POST", r"/v1/invoices/(in_\w+)/pay")
def pay_invoice_route(request):
    store = request.store
    invoice = store.get("invoice", request.args[0])
    if invoice["status"] == "paid":
        raise InvalidRequest("Invoice is already paid", code="invoice_already_paid")
    if invoice["status"] == "draft":
        finalize_invoice(request, invoice)
    if get_bool(request.params, "paid_out_of_band", False):
        mark_invoice_paid(request, invoice)
        return invoice
    pm = None
    if request.params.get("payment_method"):
        pm = resolve_payment_method(request, request.params["payment_method"])
    ok = pay_invoice(request, invoice, pm, raise_on_decline=True)
    if ok:
        sub = store.maybe("subscription", invoice.get("subscription"))
        if sub:
            sub.pop("_dunning", None)
    return invoice


@route("POST", r"/v1/invoices/(in_\w+)/finalize")
def finalize_route(request):
    invoice = request.store.get("invoice", request.args[0])
    if invoice["status"] != "draft":
        raise InvalidRequest(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.", code="invoice_not_editable"
        )
    return finalize_invoice(request, invoice)


@route("POST", r"/v1/invoices/(in_\w+)/void")
def void_invoice(request):
    invoice = request.store.get("invoice", request.args[0])
    if invoice["status"] != "open":
        raise InvalidRequest("You can only pass in open invoices. This invoice isn't open.")
    before = copy.deepcopy(invoice)
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = request.em.now(invoice["customer"])
    request.em.emit("invoice.voided", invoice, request.em.changed(before, invoice))
    return invoice


@route("POST", r"/v1/invoices/create_preview")
def create_preview(request):
    params, store = request.params, request.store
    sub = store.maybe("subscription", params.get("subscription")) if params.get("subscription") else None
    if params.get("subscription") and sub is None:
        store.get("subscription", params["subscription"], "subscription")
    customer_id = params.get("customer") or (sub or {}).get("customer")
    if not customer_id:
        raise missing("customer")
    customer = store.get("customer", customer_id, "customer")
    details = params.get("subscription_details") if isinstance(params.get("subscription_details"), dict) else {}
    behavior = details.get("proration_behavior") or "create_prorations"
    if sub is None:
        items = details.get("items")
        if not items:
            raise InvalidRequest("No upcoming invoices for customer: " + customer_id, code="invoice_upcoming_none")
        resolved = _resolve_items(request, items)
        now = request.em.now(customer_id)
        specs = [
            line_spec(
                p["unit_amount"] * q,
                f"{q} × {_product_name(store, p)}",
                p,
                q,
                now,
                add_interval(now, p["recurring"]["interval"], p["recurring"]["interval_count"]),
            )
            for p, q, _ in resolved
        ]
        invoice = invoice_object(
            request,
            customer,
            None,
            specs,
            "subscription_create",
            now,
            now,
            invoice_id="upcoming_in_" + random_token(24),
        )
        return invoice
    draft = copy.deepcopy(sub)
    at = get_int(details, "proration_date")
    at = at if at is not None else request.em.now(customer_id)
    pending = [_ii_spec(store, ii) for ii in _pending_items(store, customer_id, sub["id"])]
    prorations = []
    if details.get("items"):
        changes = _apply_item_changes(request, draft, details["items"], at)
        if behavior != "none":
            prorations = proration_specs(store, changes, at)
    if behavior == "always_invoice" and details.get("items"):
        specs = pending + prorations
        reason = "subscription_update"
        start, end = at, max(i["current_period_end"] for i in draft["items"]["data"])
    else:
        next_specs = []
        for item in draft["items"]["data"]:
            recurring = item["price"]["recurring"]
            start_i = item["current_period_end"]
            end_i = add_interval(start_i, recurring["interval"], recurring["interval_count"], sub.get("_anchor_day"))
            next_specs += regular_specs(store, {"items": {"data": [item]}}, start_i, end_i)
        specs = pending + prorations + next_specs
        reason = "upcoming"
        start = min(i["current_period_start"] for i in draft["items"]["data"])
        end = min(i["current_period_end"] for i in draft["items"]["data"])
    invoice = invoice_object(
        request, customer, draft, specs, reason, start, end, invoice_id="upcoming_in_" + random_token(24), created=at
    )
    invoice["subscription_proration_date"] = at
    if behavior != "always_invoice" or not details.get("items"):
        invoice["next_payment_attempt"] = min(i["current_period_end"] for i in draft["items"]["data"])
    return invoice


# -- invoice items ------------------------------------------------------------------------------------
@route("POST", r"/v1/invoiceitems")
def create_invoiceitem(request):
    params, store = request.params, request.store
    customer = store.get("customer", get_str(params, "customer", required=True), "customer")
    price = None
    pricing = params.get("pricing") if isinstance(params.get("pricing"), dict) else {}
    price_id = params.get("price") or pricing.get("price")
    quantity = get_int(params, "quantity", default=1)
    if price_id:
        price = _strip(store.get("price", price_id, "price"))
        amount = price["unit_amount"] * quantity
    else:
        amount = get_int(params, "amount", required=True)
        get_str(params, "currency", required=True)
    now = request.em.now(customer["id"])
    spec = line_spec(
        amount, params.get("description") or (price and _product_name(store, price)), price, quantity, now, now
    )
    spec["currency"] = (params.get("currency") or (price or {}).get("currency") or "usd").lower()
    ii = create_invoice_item(request, customer, spec, params.get("subscription"))
    apply_metadata(ii, params)
    return ii


@route("GET", r"/v1/invoiceitems/(ii_\w+)")
def retrieve_invoiceitem(request):
    return request.store.get("invoiceitem", request.args[0])


@route("DELETE", r"/v1/invoiceitems/(ii_\w+)")
def delete_invoiceitem(request):
    ii = request.store.get("invoiceitem", request.args[0])
    if ii["invoice"]:
        raise InvalidRequest("This invoice item is already on an invoice and cannot be deleted.")
    ii["_deleted"] = True
    request.em.emit("invoiceitem.deleted", ii)
    return deleted("invoiceitem", ii["id"])


@route("GET", r"/v1/invoiceitems")
def list_invoiceitems(request):
    params = request.params
    objs = request.store.all("invoiceitem")
    for name in ("customer", "invoice"):
        if params.get(name):
            objs = [i for i in objs if i.get(name) == params[name]]
    if "pending" in params:
        pending = get_bool(params, "pending")
        objs = [i for i in objs if (i["invoice"] is None) == pending]
    return paginate(request, objs, "/v1/invoiceitems")


# -- test clocks ------------------------------------------------------------------------------------------
@route("POST", r"/v1/test_helpers/test_clocks")
def create_clock(request):
    frozen = get_int(request.params, "frozen_time", required=True)
    clock = build(
        "test_helpers.test_clock",
        id=request.store.new_id("clock_"),
        created=request.store.wall_time(),
        deletes_after=request.store.wall_time() + 30 * DAY,
        frozen_time=frozen,
        name=request.params.get("name"),
        status="ready",
        status_details={},
    )
    request.store.add(clock)
    request.em.emit("test_helpers.test_clock.created", clock)
    return clock


@route("GET", r"/v1/test_helpers/test_clocks/(clock_\w+)")
def retrieve_clock(request):
    return request.store.get("test_helpers.test_clock", request.args[0])


@route("GET", r"/v1/test_helpers/test_clocks")
def list_clocks(request):
    return paginate(request, request.store.all("test_helpers.test_clock"), "/v1/test_helpers/test_clocks")


@route("DELETE", r"/v1/test_helpers/test_clocks/(clock_\w+)")
def delete_clock(request):
    store = request.store
    clock = store.get("test_helpers.test_clock", request.args[0])
    for customer in store.all("customer"):
        if customer.get("test_clock") == clock["id"]:
            customer["_deleted"] = True
            for sub in store.all("subscription"):
                if sub["customer"] == customer["id"]:
                    sub["_deleted"] = True
    store.delete("test_helpers.test_clock", clock["id"])
    request.em.emit("test_helpers.test_clock.deleted", clock)
    return deleted("test_helpers.test_clock", clock["id"])


@route("POST", r"/v1/test_helpers/test_clocks/(clock_\w+)/advance")
def advance_clock(request):
    clock = request.store.get("test_helpers.test_clock", request.args[0])
    target = get_int(request.params, "frozen_time", required=True)
    if target <= clock["frozen_time"]:
        raise invalid("frozen_time", "The frozen_time must be after the current frozen_time of the test clock.")
    if target > clock["frozen_time"] + 2 * 366 * DAY:
        raise invalid("frozen_time", "Cannot advance a test clock more than two intervals/years at once.")
    clock["status"] = "advancing"
    clock["status_details"] = {"advancing": {"target_frozen_time": target}}
    request.em.emit("test_helpers.test_clock.advancing", clock)
    run_clock(request, clock, target)
    clock["status"] = "ready"
    clock["status_details"] = {}
    request.em.emit("test_helpers.test_clock.ready", clock)
    return clock
