"""Single-use discount codes (a Stripe coupon and its promotion code), applied at checkout.

Other apps create them (rewards: a course coupon bought with tokens) and decide who may use them; the code's
metadata says what it is for, and the app selling checks it before passing the code to `start_checkout`.
"""

import secrets
from dataclasses import dataclass

from config.errors import DomainError

from . import gateway

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Discount:
    promotion_code_id: str
    code: str
    percent_off: float
    metadata: dict


def new_code(prefix: str = "LYC") -> str:
    return f"{prefix}-" + "".join(secrets.choice(ALPHABET) for _ in range(10))


def create_single_use_discount(*, key: str, percent_off: int, name: str, metadata: dict, code: str) -> Discount:
    """Create the coupon and its promotion code in Stripe (idempotent by `key`, our record's id). Call it outside
    database transactions; it raises PaymentProviderUnavailable when Stripe cannot be reached."""
    metadata = {k: str(v) for k, v in metadata.items()}
    coupon = gateway.create_coupon(key=key, percent_off=percent_off, name=name, metadata=metadata)
    promo = gateway.create_promotion_code(key=key, coupon_id=coupon["id"], code=code, metadata=metadata)
    return Discount(promo["id"], promo["code"], float(coupon["percent_off"]), dict(promo.get("metadata") or {}))


def find_discount(code: str) -> Discount:
    """The usable discount for a code the buyer typed; DomainError (400) when there is none."""
    code = (code or "").strip().upper()
    if not code or len(code) > 60:
        raise DomainError("Enter the discount code.", code="invalid_discount", fields={"promotion_code": ["Required."]})
    promo = gateway.find_promotion_code(code)
    if promo is None or not promo.get("active"):
        raise DomainError(
            "That discount code does not exist or has already been used.",
            code="invalid_discount",
            fields={"promotion_code": ["Not a usable code."]},
        )
    coupon = gateway.retrieve_coupon((promo.get("promotion") or {}).get("coupon") or promo.get("coupon", {}).get("id"))
    return Discount(
        promo["id"], promo["code"], float(coupon.get("percent_off") or 0), dict(promo.get("metadata") or {})
    )
