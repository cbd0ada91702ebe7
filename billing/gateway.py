"""The one place that calls the Stripe SDK.

Every call has a timeout, passes an idempotency key derived from our own record's id when it
creates something, and turns Stripe's errors into billing's domain errors.
"""

import logging
from collections.abc import Iterator
from typing import Any

import stripe
from django.conf import settings

from operations.interface import metrics

from .errors import CardDeclined, PaymentProviderError, PaymentProviderUnavailable

logger = logging.getLogger(__name__)

DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds. Try another card.",
    "generic_decline": "Your card was declined. Try another card or contact your bank.",
    "card_declined": "Your card was declined. Try another card or contact your bank.",
    "expired_card": "Your card has expired. Try another card.",
    "incorrect_cvc": "The security code (CVC) is not right.",
    "processing_error": "The card could not be processed. Try again in a moment.",
    "lost_card": "Your card was declined. Try another card or contact your bank.",
    "stolen_card": "Your card was declined. Try another card or contact your bank.",
}


def plain_failure(code: str | None, decline_code: str | None = None, fallback: str | None = None) -> str:
    """A failure reason a person understands, from Stripe's codes."""
    for key in (decline_code, code):
        if key and key in DECLINE_MESSAGES:
            return DECLINE_MESSAGES[key]
    return fallback or "The payment did not go through. Try again or use another card."


def configure() -> None:
    stripe.api_key = settings.STRIPE_SECRET_KEY
    stripe.api_version = settings.STRIPE_API_VERSION
    if settings.STRIPE_API_BASE:
        stripe.api_base = settings.STRIPE_API_BASE
        stripe.connect_api_base = settings.STRIPE_API_BASE
        stripe.upload_api_base = settings.STRIPE_API_BASE
    stripe.max_network_retries = settings.STRIPE_MAX_NETWORK_RETRIES
    stripe.default_http_client = stripe.RequestsClient(timeout=(3, settings.STRIPE_TIMEOUT_SECONDS))
    stripe.enable_telemetry = False


def _call(what: str, fn, /, *args, **kwargs):
    with metrics.stripe_call(what):
        return _call_stripe(what, fn, *args, **kwargs)


def _call_stripe(what: str, fn, /, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        err = exc.error
        raise CardDeclined(
            plain_failure(getattr(err, "code", None), getattr(err, "decline_code", None)),
            code="card_declined",
        ) from exc
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        logger.warning("Stripe unreachable during %s: %s", what, exc)
        raise PaymentProviderUnavailable(
            "We could not reach our payment provider. Nothing was charged; please try again in a minute."
        ) from exc
    except stripe.APIError as exc:
        logger.warning("Stripe error during %s: %s", what, exc)
        raise PaymentProviderUnavailable(
            "Our payment provider had a problem. Nothing was charged; please try again in a minute."
        ) from exc
    except stripe.StripeError as exc:
        logger.error("Stripe refused %s: %s", what, exc)
        message = getattr(getattr(exc, "error", None), "message", None) or str(exc)
        raise PaymentProviderError(f"The payment provider refused the request: {message}") from exc


def _ikey(kind: str, record_id: Any) -> str:
    return f"lyceum-{kind}-{record_id}"


# Customers ---------------------------------------------------------------------------------


def create_customer(*, user_id: int, email: str, name: str) -> dict:
    return _call(
        "create customer",
        stripe.Customer.create,
        email=email,
        name=name,
        metadata={"user_id": str(user_id)},
        idempotency_key=_ikey("customer", user_id),
    )


def create_business_customer(*, key: str, email: str, name: str, metadata: dict) -> dict:
    """A Stripe Customer for a company (not a person's account), e.g. an organisation buying a licence."""
    return _call(
        "create customer",
        stripe.Customer.create,
        email=email,
        name=name,
        metadata=metadata,
        idempotency_key=_ikey("customer", key),
    )


def update_customer(customer_id: str, **fields) -> dict:
    return _call("update customer", stripe.Customer.modify, customer_id, **fields)


# Checkout ----------------------------------------------------------------------------------


def create_checkout_session(*, payment_id: str, **params) -> dict:
    return _call(
        "create checkout session",
        stripe.checkout.Session.create,
        idempotency_key=_ikey("checkout", payment_id),
        **params,
    )


def retrieve_checkout_session(session_id: str) -> dict:
    return _call(
        "retrieve checkout session",
        stripe.checkout.Session.retrieve,
        session_id,
        expand=["payment_intent", "payment_intent.latest_charge", "subscription", "invoice", "setup_intent"],
    )


def create_setup_session(
    *, key: str, customer: str, currency: str, success_url: str, cancel_url: str, metadata: dict
) -> dict:
    """Checkout in setup mode: the customer saves a card without paying now."""
    return _call(
        "start the card update",
        stripe.checkout.Session.create,
        idempotency_key=_ikey("setup", key),
        mode="setup",
        customer=customer,
        currency=currency,
        success_url=success_url,
        cancel_url=cancel_url,
        metadata=metadata,
        setup_intent_data={"metadata": metadata},
    )


def expire_checkout_session(session_id: str) -> dict:
    return _call("expire checkout session", stripe.checkout.Session.expire, session_id)


def list_checkout_sessions(*, created_after: int) -> Iterator[dict]:
    page = _call("list checkout sessions", stripe.checkout.Session.list, limit=100, created={"gte": created_after})
    yield from page.auto_paging_iter()


# Payment intents, charges and refunds ------------------------------------------------------


def retrieve_payment_intent(payment_intent_id: str) -> dict:
    return _call("retrieve payment intent", stripe.PaymentIntent.retrieve, payment_intent_id, expand=["latest_charge"])


def list_payment_intents(*, created_after: int) -> Iterator[dict]:
    page = _call("list payment intents", stripe.PaymentIntent.list, limit=100, created={"gte": created_after})
    yield from page.auto_paging_iter()


def create_refund(*, refund_id: int, payment_intent: str, amount: int, reason: str) -> dict:
    return _call(
        "create refund",
        stripe.Refund.create,
        payment_intent=payment_intent,
        amount=amount,
        metadata={"lyceum_refund_id": str(refund_id), "reason": reason[:450]},
        idempotency_key=_ikey("refund", refund_id),
    )


def list_refunds(*, payment_intent: str | None = None, created_after: int | None = None) -> Iterator[dict]:
    params: dict[str, Any] = {"limit": 100}
    if payment_intent:
        params["payment_intent"] = payment_intent
    if created_after:
        params["created"] = {"gte": created_after}
    page = _call("list refunds", stripe.Refund.list, **params)
    yield from page.auto_paging_iter()


# Invoices and subscriptions (used by the subscriptions app through billing's services) -----


def retrieve_subscription(subscription_id: str) -> dict:
    return _call(
        "retrieve subscription",
        stripe.Subscription.retrieve,
        subscription_id,
        expand=["latest_invoice", "default_payment_method"],
    )


def modify_subscription(subscription_id: str, *, idempotency_key: str, **params) -> dict:
    return _call(
        "update subscription",
        stripe.Subscription.modify,
        subscription_id,
        idempotency_key=idempotency_key,
        **params,
    )


def cancel_subscription(subscription_id: str) -> dict:
    return _call("cancel subscription", stripe.Subscription.cancel, subscription_id)


def preview_invoice(**params) -> dict:
    return _call("preview invoice", stripe.Invoice.create_preview, **params)


def retrieve_invoice(invoice_id: str) -> dict:
    return _call("retrieve invoice", stripe.Invoice.retrieve, invoice_id)


def pay_invoice(invoice_id: str, *, key: str) -> dict:
    """Try to collect an open invoice now with the customer's default card."""
    return _call("pay invoice", stripe.Invoice.pay, invoice_id, idempotency_key=_ikey("invoice-pay", key))


def create_subscription(*, key: str, **params) -> dict:
    """A subscription created directly (not through Checkout), e.g. one billed by invoice (send_invoice)."""
    return _call(
        "create subscription", stripe.Subscription.create, idempotency_key=_ikey("subscription", key), **params
    )


def finalize_invoice(invoice_id: str) -> dict:
    return _call("finalize invoice", stripe.Invoice.finalize_invoice, invoice_id)


def send_invoice(invoice_id: str) -> dict:
    """E-mail an open send_invoice invoice to the customer (Stripe's invoice.sent)."""
    return _call("send invoice", stripe.Invoice.send_invoice, invoice_id)


def list_invoices(*, customer: str, subscription: str | None = None, limit: int = 24) -> list[dict]:
    params: dict[str, Any] = {"customer": customer, "limit": limit}
    if subscription:
        params["subscription"] = subscription
    return list(_call("list invoices", stripe.Invoice.list, **params).data)


def list_recent_invoices(*, created_after: int, status: str = "paid") -> Iterator[dict]:
    page = _call("list invoices", stripe.Invoice.list, limit=100, status=status, created={"gte": created_after})
    yield from page.auto_paging_iter()


# Catalogue ---------------------------------------------------------------------------------


def list_prices(*, lookup_keys: list[str]) -> list[dict]:
    return list(
        _call("list prices", stripe.Price.list, lookup_keys=lookup_keys, limit=100, expand=["data.product"]).data
    )


def create_product(*, key: str, name: str, description: str = "", metadata: dict | None = None) -> dict:
    return _call(
        "create product",
        stripe.Product.create,
        name=name,
        description=description or None,
        metadata=metadata or {},
        idempotency_key=_ikey("product", key),
    )


def update_product(product_id: str, **fields) -> dict:
    return _call("update product", stripe.Product.modify, product_id, **fields)


def create_price(*, key: str, **params) -> dict:
    return _call("create price", stripe.Price.create, idempotency_key=_ikey("price", key), **params)


def update_price(price_id: str, **fields) -> dict:
    return _call("update price", stripe.Price.modify, price_id, **fields)


# Connect -----------------------------------------------------------------------------------


def create_express_account(*, user_id: int, email: str) -> dict:
    return _call(
        "create connected account",
        stripe.Account.create,
        type="express",
        email=email,
        metadata={"user_id": str(user_id)},
        idempotency_key=_ikey("account", user_id),
    )


def retrieve_account(account_id: str) -> dict:
    return _call("retrieve connected account", stripe.Account.retrieve, account_id)


def create_account_link(*, account_id: str, refresh_url: str, return_url: str) -> dict:
    return _call(
        "create onboarding link",
        stripe.AccountLink.create,
        account=account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        type="account_onboarding",
    )


def create_transfer(
    *, payout_id: Any, attempt: int, amount: int, currency: str, destination: str, transfer_group: str, metadata: dict
) -> dict:
    """One attempt at a payout's transfer. The key is per attempt, so a retry after a failure really sends
    (Stripe replays a stored error for a reused key); look for an earlier attempt's transfer first with
    `find_transfer(transfer_group)`, so that a transfer whose answer was lost is never made twice."""
    return _call(
        "create transfer",
        stripe.Transfer.create,
        amount=amount,
        currency=currency,
        destination=destination,
        transfer_group=transfer_group,
        metadata=metadata,
        idempotency_key=_ikey("transfer", f"{payout_id}-attempt-{attempt}"),
    )


def find_transfer(transfer_group: str) -> dict | None:
    """The transfer made for this transfer group, if there is one (the newest)."""
    found = list(_call("find transfer", stripe.Transfer.list, transfer_group=transfer_group, limit=1).data)
    return found[0] if found else None


# Webhook endpoints -------------------------------------------------------------------------


def list_webhook_endpoints() -> list[dict]:
    return list(_call("list webhook endpoints", stripe.WebhookEndpoint.list, limit=100).auto_paging_iter())


def create_webhook_endpoint(*, url: str, events: list[str]) -> dict:
    return _call(
        "create webhook endpoint",
        stripe.WebhookEndpoint.create,
        url=url,
        enabled_events=events,
        api_version=settings.STRIPE_API_VERSION,
        description="Lyceum",
    )


def delete_webhook_endpoint(endpoint_id: str) -> None:
    _call("delete webhook endpoint", stripe.WebhookEndpoint.delete, endpoint_id)


def retrieve_event(event_id: str) -> dict:
    return _call("retrieve event", stripe.Event.retrieve, event_id)


# Coupons and promotion codes ---------------------------------------------------------------


def create_coupon(*, key: str, percent_off: int, name: str, metadata: dict) -> dict:
    """A single-use percentage coupon (duration once); the key is our own record's."""
    return _call(
        "create coupon",
        stripe.Coupon.create,
        idempotency_key=_ikey("coupon", key),
        percent_off=percent_off,
        duration="once",
        max_redemptions=1,
        name=name[:40],
        metadata=metadata,
    )


def create_promotion_code(*, key: str, coupon_id: str, code: str, metadata: dict) -> dict:
    return _call(
        "create promotion code",
        stripe.PromotionCode.create,
        idempotency_key=_ikey("promo", key),
        promotion={"type": "coupon", "coupon": coupon_id},
        code=code,
        max_redemptions=1,
        metadata=metadata,
    )


def find_promotion_code(code: str) -> dict | None:
    found = _call("find promotion code", stripe.PromotionCode.list, code=code, limit=1)
    data = found.get("data") or []
    return data[0] if data else None


def retrieve_coupon(coupon_id: str) -> dict:
    return _call("retrieve coupon", stripe.Coupon.retrieve, coupon_id)
