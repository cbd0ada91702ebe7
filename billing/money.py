"""Money is an integer number of minor units plus an ISO-4217 currency. The one place that formats and splits it."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Currencies the site sells in, with their minor-unit exponent.
CURRENCIES: dict[str, int] = {"usd": 2, "eur": 2, "gbp": 2, "jpy": 0}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}
BPS = 10_000  # basis points in a whole
# The largest amount anything on the site handles: Stripe's limit for one charge (8 digits of minor units).
MAX_AMOUNT = 99_999_999


class MoneyError(ValueError):
    pass


def check_currency(currency: str) -> str:
    code = (currency or "").lower()
    if code not in CURRENCIES:
        raise MoneyError(f"“{currency}” is not a currency we sell in ({', '.join(sorted(CURRENCIES))}).")
    return code


def check_amount(amount: int, *, allow_zero: bool = False) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError("Amounts are whole numbers of minor units (cents), not decimals.")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise MoneyError("The amount must be more than zero.")
    return amount


@dataclass(frozen=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self):
        check_amount(self.amount, allow_zero=True)
        object.__setattr__(self, "currency", check_currency(self.currency))

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def format_money(amount: int, currency: str) -> str:
    """1999, "usd" -> "$19.99"; negative amounts keep their sign in front."""
    code = check_currency(currency)
    exponent = CURRENCIES[code]
    sign = "-" if amount < 0 else ""
    whole, minor = divmod(abs(amount), 10**exponent) if exponent else (abs(amount), 0)
    body = f"{whole:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {code.upper()}"


def major_units(amount: int, currency: str) -> str:
    """1999, "usd" -> "19.99"; 500, "jpy" -> "500" (for spreadsheets: no symbol, no thousands separator)."""
    exponent = CURRENCIES[check_currency(currency)]
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f}"


def bps_as_percent(bps: int) -> str:
    """Basis points as a percentage number, exactly (integer arithmetic): 7000 -> "70", 7550 -> "75.5"."""
    whole, hundredths = divmod(abs(bps), 100)
    sign = "-" if bps < 0 else ""
    return f"{sign}{whole}" + (f".{hundredths:02d}".rstrip("0") if hundredths else "")


def format_bps(bps: int) -> str:
    """Basis points for people: 7000 -> "70%", 7550 -> "75.5%", 1 -> "0.01%"."""
    return f"{bps_as_percent(bps)}%"


def parse_amount(text: str, currency: str = "usd") -> int | None:
    """What a person typed ("19.99", "1,200") → minor units (1999, 120000); empty → None. Never a float."""
    exponent = CURRENCIES[check_currency(currency)]
    example = "19.99" if exponent else "1999"
    value = (text or "").strip().replace(",", "")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise MoneyError(f"Enter an amount such as {example}.") from None
    if not amount.is_finite() or amount < 0:
        raise MoneyError(f"Enter an amount such as {example}.")
    largest = Decimal(MAX_AMOUNT).scaleb(-exponent)
    if amount > largest:
        # Checked before quantize(), which cannot represent huge values such as 1e308.
        raise MoneyError(f"Enter an amount of at most {largest:,}.")
    quantum = Decimal(1).scaleb(-exponent)
    if amount != amount.quantize(quantum):
        raise MoneyError(f"Enter an amount such as {example} (at most {exponent} decimals).")
    return int(amount.scaleb(exponent))


def split(gross: int, share_bps: int) -> tuple[int, int]:
    """Split gross into (share, rest) where share is share_bps of gross, rounded half down.

    The rule: the share is floor(gross * bps / 10000) (rounding toward the other party), and the
    rest is gross - share, so the two parts always add up to the gross exactly.
    """
    check_amount(gross, allow_zero=True)
    if not 0 <= share_bps <= BPS:
        raise MoneyError("A share is between 0 and 10000 basis points.")
    share = gross * share_bps // BPS
    return share, gross - share


def proportion(part: int, of_amount: int, whole: int) -> int:
    """The part of `whole` that corresponds to `part` out of `of_amount` (floor), e.g. a refund's share of a split."""
    if of_amount <= 0:
        raise MoneyError("Cannot take a proportion of nothing.")
    if not 0 <= part <= of_amount:
        raise MoneyError("The part must lie between zero and the amount.")
    if part == of_amount:
        return whole
    return whole * part // of_amount
