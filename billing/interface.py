"""Billing's surface for the other apps: import from here, never from billing's inner modules.

Billing is the only code that talks to Stripe. What it offers:

Selling (checkout and fulfilment)
    ``register_purpose(code, label=, fulfil=, revoke=, failed=, success_url=, checkout=)`` — sell under a
    purpose: ``fulfil(payment)`` runs once when paid, ``revoke(payment, refund)`` once per refund.
    ``register_event_handler(event_type, handler)`` — react to a Stripe event type (in ``AppConfig.ready``).
    ``CheckoutItem``, ``CheckoutStart``, ``start_checkout(user, purpose, items, ...)`` — a hosted Checkout.
    ``get_or_create_customer(user)`` — the user's Stripe customer (``Customer``).
    ``refund_payment(payment, amount=, reason=, requested_by=, source=)`` — refund through Stripe.
Discount codes (single-use Stripe promotion codes, applied by ``start_checkout(..., discount=)``)
    ``Discount``, ``create_single_use_discount(key=, percent_off=, name=, metadata=, code=)``,
    ``find_discount(code)`` (the usable discount for a typed code, else a DomainError), ``new_discount_code()``.
Records (read them; write only through the functions above)
    ``Payment``, ``Refund``, ``Customer``, ``ConnectedAccount``.
Money helpers (integer minor units + ISO currency)
    ``format_money``, ``parse_amount``, ``check_currency``, ``split``, ``proportion``, ``major_units``,
    ``BPS``, ``format_bps``, ``bps_as_percent``, ``MoneyError``, ``MAX_AMOUNT`` (the largest amount handled).
Errors (all ``DomainError``s with a code)
    ``PaymentError``, ``CardDeclined``, ``PaymentProviderUnavailable``, ``PaymentProviderError``, ``RefundError``;
    ``AlreadyOwned`` — raised by a purpose's fulfil when the buyer already has what was bought: billing then
    refunds the payment in full instead and tells the buyer.
API idempotency
    ``idempotent`` (decorator for DRF views that move money or grant access), ``IDEMPOTENCY_PARAMETER``.
Connect (instructor payouts)
    ``connected_account_for``, ``get_or_create_connected_account``, ``refresh_connected_account``,
    ``can_receive_payouts``, ``receiving_account``, ``receiving_accounts``, ``start_payout_onboarding``,
    ``create_transfer``, ``find_transfer``.
Stripe subscriptions, invoices and catalogue (for the subscriptions app)
    ``retrieve_subscription``, ``modify_subscription``, ``cancel_subscription``, ``preview_invoice``,
    ``retrieve_invoice``, ``pay_invoice``, ``list_invoices``, ``create_setup_session``,
    ``retrieve_checkout_session``, ``update_customer``, ``list_prices``, ``create_product``,
    ``update_product``, ``create_price``, ``update_price``.
Invoiced subscriptions (for licensing)
    ``create_business_customer`` (a company's customer), ``create_subscription`` (e.g. collection_method=
    send_invoice), ``finalize_invoice``, ``send_invoice``; ``CURRENCIES`` (what we sell in).
"""

from .connect import account_for as connected_account_for
from .connect import can_receive_payouts, receiving_account, receiving_accounts
from .connect import get_or_create_account as get_or_create_connected_account
from .connect import refresh_account as refresh_connected_account
from .connect import start_onboarding as start_payout_onboarding
from .discounts import Discount, create_single_use_discount, find_discount
from .discounts import new_code as new_discount_code
from .errors import (
    AlreadyOwned,
    CardDeclined,
    PaymentError,
    PaymentProviderError,
    PaymentProviderUnavailable,
    RefundError,
)
from .gateway import (
    cancel_subscription,
    create_business_customer,
    create_price,
    create_product,
    create_setup_session,
    create_subscription,
    create_transfer,
    finalize_invoice,
    find_transfer,
    list_invoices,
    list_prices,
    modify_subscription,
    pay_invoice,
    preview_invoice,
    retrieve_checkout_session,
    retrieve_invoice,
    retrieve_subscription,
    send_invoice,
    update_customer,
    update_price,
    update_product,
)
from .idempotency import IDEMPOTENCY_PARAMETER, idempotent
from .models import ConnectedAccount, Customer, Payment, Refund
from .money import (
    BPS,
    CURRENCIES,
    MAX_AMOUNT,
    MoneyError,
    bps_as_percent,
    check_currency,
    format_bps,
    format_money,
    major_units,
    parse_amount,
    proportion,
    split,
)
from .registry import register_event_handler, register_purpose
from .services import CheckoutItem, CheckoutStart, get_or_create_customer, refund_payment, start_checkout

__all__ = [
    "AlreadyOwned",
    "BPS",
    "Discount",
    "create_single_use_discount",
    "find_discount",
    "new_discount_code",
    "MAX_AMOUNT",
    "IDEMPOTENCY_PARAMETER",
    "CURRENCIES",
    "CardDeclined",
    "CheckoutItem",
    "CheckoutStart",
    "ConnectedAccount",
    "Customer",
    "MoneyError",
    "Payment",
    "PaymentError",
    "PaymentProviderError",
    "PaymentProviderUnavailable",
    "Refund",
    "RefundError",
    "bps_as_percent",
    "can_receive_payouts",
    "cancel_subscription",
    "check_currency",
    "connected_account_for",
    "create_business_customer",
    "create_price",
    "create_product",
    "create_setup_session",
    "create_subscription",
    "create_transfer",
    "finalize_invoice",
    "find_transfer",
    "format_bps",
    "format_money",
    "get_or_create_connected_account",
    "get_or_create_customer",
    "idempotent",
    "list_invoices",
    "list_prices",
    "major_units",
    "modify_subscription",
    "parse_amount",
    "pay_invoice",
    "preview_invoice",
    "proportion",
    "receiving_account",
    "receiving_accounts",
    "refresh_connected_account",
    "refund_payment",
    "register_event_handler",
    "register_purpose",
    "retrieve_checkout_session",
    "retrieve_invoice",
    "retrieve_subscription",
    "send_invoice",
    "split",
    "start_checkout",
    "start_payout_onboarding",
    "update_customer",
    "update_price",
    "update_product",
]
