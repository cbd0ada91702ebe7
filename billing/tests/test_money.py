import pytest

from billing.money import Money, MoneyError, check_amount, check_currency, format_money, proportion, split


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1999, "usd", "$19.99"),
        (5, "eur", "€0.05"),
        (123456789, "GBP", "£1,234,567.89"),
        (500, "jpy", "¥500"),
        (-250, "usd", "-$2.50"),
        (0, "usd", "$0.00"),
    ],
)
def test_format_money(amount, currency, text):
    assert format_money(amount, currency) == text


def test_money_value_checks_its_parts():
    assert str(Money(1000, "USD")) == "$10.00"
    assert Money(1, "Eur").currency == "eur"
    with pytest.raises(MoneyError, match="not a currency"):
        Money(1, "xyz")
    with pytest.raises(MoneyError, match="whole numbers"):
        Money(10.5, "usd")


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_check_amount_rejects_what_is_not_a_positive_whole_number(bad):
    with pytest.raises(MoneyError):
        check_amount(bad)


def test_check_currency_lowercases():
    assert check_currency("USD") == "usd"
    with pytest.raises(MoneyError):
        check_currency("")


@pytest.mark.parametrize("gross", [0, 1, 2, 3, 99, 1000, 1999, 10_001])
@pytest.mark.parametrize("bps", [0, 1, 3333, 5000, 7000, 9999, 10_000])
def test_split_parts_always_add_up_and_round_the_share_down(gross, bps):
    share, rest = split(gross, bps)
    assert share + rest == gross
    assert share == gross * bps // 10_000


def test_split_rejects_shares_outside_a_whole():
    with pytest.raises(MoneyError):
        split(100, 10_001)
    with pytest.raises(MoneyError):
        split(100, -1)


def test_proportion_reverses_a_split_and_a_full_refund_takes_everything():
    assert proportion(500, 2000, 1400) == 350
    assert proportion(2000, 2000, 1399) == 1399
    assert proportion(1, 3, 100) == 33
    with pytest.raises(MoneyError):
        proportion(5, 4, 100)
    with pytest.raises(MoneyError):
        proportion(1, 0, 100)


def test_parse_amount_is_exact_and_explains_bad_input():
    from billing.money import MoneyError, parse_amount

    assert parse_amount("19.99") == 1999
    assert parse_amount("1,200") == 120000
    assert parse_amount("0.10") == 10
    assert parse_amount("  ") is None
    assert parse_amount("1999", "jpy") == 1999
    for bad, currency in [("abc", "usd"), ("1.999", "usd"), ("-1", "usd"), ("1.5", "jpy"), ("inf", "usd")]:
        with pytest.raises(MoneyError):
            parse_amount(bad, currency)
