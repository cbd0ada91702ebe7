"""Billing's domain errors, each with a message a person understands."""

from config.errors import DomainError


class PaymentError(DomainError):
    code = "payment_error"


class CardDeclined(PaymentError):
    code = "card_declined"
    status_code = 402


class PaymentProviderUnavailable(PaymentError):
    code = "payment_provider_unavailable"
    status_code = 503


class PaymentProviderError(PaymentError):
    code = "payment_provider_error"
    status_code = 502


class RefundError(PaymentError):
    code = "refund_not_possible"
    status_code = 409
