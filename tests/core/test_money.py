from decimal import Decimal

import pytest

from app.core.money import AmountError, parse_amount, parse_currency


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12.50", "12.50"),
        ("12,50", "12.50"),
        ("1 234.5", "1234.5"),
        ("1\u00a0234,5", "1234.5"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234,567", "1234567"),
        ("-3", "-3"),
        ("+7", "7"),
        (".5", "0.5"),
        (" 42 ", "42"),
        (3, "3"),
    ],
)
def test_human_amount_formats_parse_to_exact_decimals(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(
    "raw",
    ["1e5", "1E-3", "NaN", "nan", "inf", "-Infinity", "", "  ", "abc", "12 USD", "1,2,3", "0x10"],
)
def test_ambiguous_or_non_numeric_amounts_are_refused(raw):
    with pytest.raises(AmountError):
        parse_amount(raw)


def test_absurdly_large_amounts_are_refused():
    with pytest.raises(AmountError):
        parse_amount("1" + "0" * 13)


def test_currencies_are_upper_cased_iso_4217_codes():
    assert parse_currency(" usd ") == "USD"
    assert parse_currency("eur") == "EUR"


@pytest.mark.parametrize("raw", ["US", "XXXX", "dollar", "", "$"])
def test_unknown_currency_codes_are_refused(raw):
    with pytest.raises(AmountError):
        parse_currency(raw)


@pytest.mark.parametrize("raw", ["1,2,3.4", "1 2 3", "12,34,567", "1.2.3", "١٢٣", "1,234 567"])
def test_grouping_that_is_not_in_threes_or_non_ascii_digits_is_refused(raw):
    with pytest.raises(AmountError):
        parse_amount(raw)
