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


class AlreadyOwned(PaymentError):
    """Raised by a purpose's fulfil when the buyer already has what this payment bought (paid twice).

    Billing then refunds the payment in full instead of fulfilling it, and tells the buyer why."""

    code = "already_owned"
    status_code = 409
