"""The one exception type services raise: a clear, specific message for the person or integrator."""


class DomainError(Exception):
    code = "domain_error"
    status_code = 400

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict | None = None, status_code: int | None = None
    ):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields or {}


class NotFoundError(DomainError):
    code = "not_found"
    status_code = 404


class ConflictError(DomainError):
    code = "conflict"
    status_code = 409


class ServiceUnavailableError(DomainError):
    code = "service_unavailable"
    status_code = 503
