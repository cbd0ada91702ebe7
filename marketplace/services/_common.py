from config.errors import DomainError
from config.text import has_line_break_or_control


class ValidationFailed(DomainError):
    """Several fields at once: `fields` maps each to its messages; the message lists them all."""

    code = "validation_error"

    def __init__(self, errors: dict[str, list[str]]):
        messages = [msg for field_messages in errors.values() for msg in field_messages]
        super().__init__(" ".join(messages) or "Some fields are not valid.", fields=errors)


class Forbidden(DomainError):
    code = "permission_denied"
    status_code = 403


class Errors:
    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def check_length(errors: Errors, field: str, label: str, value: str, *, minimum: int = 0, maximum: int) -> None:
    length = len(value)
    if minimum and length < minimum:
        if length == 0:
            errors.add(field, f"{label} is required.")
        else:
            errors.add(field, f"{label} must be at least {minimum} characters (it has {length}).")
    elif length > maximum:
        errors.add(field, f"{label} must be at most {maximum} characters (it has {length}).")


def check_single_line(errors: Errors, field: str, label: str, value: str) -> None:
    """Titles are one line: they are quoted in e-mail subjects, page titles and CSV cells."""
    if has_line_break_or_control(value):
        errors.add(field, f"{label} must be on one line, without line breaks or tabs.")
