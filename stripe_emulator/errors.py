"""Stripe-shaped API errors."""

from __future__ import annotations


class StripeError(Exception):
    """An error answered as ``{"error": {...}}`` with an HTTP status."""

    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        status: int | None = None,
        type: str | None = None,
        **extra,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        self.extra = extra

    def to_dict(self, request_id: str | None = None) -> dict:
        body = {"type": self.type, "message": self.message}
        if self.code:
            body["code"] = self.code
            body["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            body["param"] = self.param
        if self.decline_code:
            body["decline_code"] = self.decline_code
        if request_id:
            body["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        body.update(self.extra)
        return {"error": body}


class InvalidRequest(StripeError):
    status = 400
    type = "invalid_request_error"


class NotFound(StripeError):
    status = 404
    type = "invalid_request_error"

    def __init__(self, kind: str, obj_id: str, param: str = "id"):
        super().__init__(f"No such {kind}: '{obj_id}'", code="resource_missing", param=param)


class CardError(StripeError):
    status = 402
    type = "card_error"


class AuthenticationError(StripeError):
    status = 401
    type = "invalid_request_error"


class IdempotencyError(StripeError):
    type = "idempotency_error"


class APIError(StripeError):
    status = 500
    type = "api_error"


def missing(param: str) -> InvalidRequest:
    return InvalidRequest(f"Missing required param: {param}.", code="parameter_missing", param=param)


def invalid(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(message, code="parameter_invalid", param=param)
