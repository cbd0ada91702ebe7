"""How other apps sell through billing without billing importing them.

Each app registers, in its AppConfig.ready():
- a purpose: `fulfil(payment)` runs exactly once when the payment succeeds; `revoke(payment, refund)`
  runs exactly once per refund (refund.amount is the refunded share of payment.amount);
  optionally `failed(payment)` when a payment fails;
- Stripe event handlers: `handler(event: dict)` for event types billing itself does not own
  (e.g. subscriptions listen to customer.subscription.updated).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Purpose:
    code: str
    label: str
    fulfil: Callable
    revoke: Callable
    failed: Callable | None = None
    # Where the status page sends the buyer after success, given the payment.
    success_url: Callable | None = None
    # For payments started through the API: checkout(user, reference) -> (items, description, mode),
    # raising DomainError when the reference cannot be bought by this user.
    checkout: Callable | None = None


_purposes: dict[str, Purpose] = {}
_event_handlers: dict[str, list[Callable]] = defaultdict(list)


def register_purpose(
    code: str,
    *,
    label: str,
    fulfil: Callable,
    revoke: Callable,
    failed: Callable | None = None,
    success_url: Callable | None = None,
    checkout: Callable | None = None,
) -> Purpose:
    purpose = Purpose(
        code=code,
        label=label,
        fulfil=fulfil,
        revoke=revoke,
        failed=failed,
        success_url=success_url,
        checkout=checkout,
    )
    _purposes[code] = purpose
    return purpose


def unregister_purpose(code: str) -> None:
    _purposes.pop(code, None)


def get_purpose(code: str) -> Purpose | None:
    return _purposes.get(code)


def purposes() -> dict[str, Purpose]:
    return dict(_purposes)


def register_event_handler(event_type: str, handler: Callable) -> None:
    if handler not in _event_handlers[event_type]:
        _event_handlers[event_type].append(handler)


def unregister_event_handler(event_type: str, handler: Callable) -> None:
    if handler in _event_handlers.get(event_type, []):
        _event_handlers[event_type].remove(handler)


def registered_event_types() -> set[str]:
    """Every event type some app handles (the webhook endpoint subscribes to these)."""
    return {event_type for event_type, handlers in _event_handlers.items() if handlers and event_type != "*"}


def event_handlers(event_type: str) -> list[Callable]:
    return list(_event_handlers.get(event_type, [])) + list(_event_handlers.get("*", []))
