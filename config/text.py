"""Single-line text: names and titles people type end up in e-mail subjects, CSV cells and page titles."""

import re
import unicodedata

# Line breaks of every kind (CR, LF, VT, FF, NEL, U+2028, U+2029) and runs of other whitespace.
_WHITESPACE = re.compile(r"\s+")


def has_line_break_or_control(value: str) -> bool:
    """True when the text holds a line break or another control character (a tab, NUL, escape…)."""
    return any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value or "")


def single_line(value: str, *, max_length: int = 200) -> str:
    """The text on one line: every whitespace run (line breaks included) becomes one space, other
    control characters are dropped, and it is cut to `max_length` with an ellipsis. Safe for an
    e-mail header whatever the text came from."""
    text = _WHITESPACE.sub(" ", str(value or ""))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Zl", "Zp")).strip()
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text
