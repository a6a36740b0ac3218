"""How money is written for a reader: the currency's minor units in the reader's locale."""

from decimal import Decimal

import pytest

from app.core.display import (
    format_epc,
    format_exact,
    format_money,
    locale_from_environment,
    machine_value,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        pytest.param("1234567.891", "USD", "$1,234,567.89", id="USD-two-places"),
        pytest.param("1234.5", "JPY", "¥1,234", id="JPY-no-places-half-to-even"),
        pytest.param("1235.5", "JPY", "¥1,236", id="JPY-half-to-even-up"),
        pytest.param("1234.5678", "KWD", f"KWD{NBSP}1,234.568", id="KWD-three-places"),
        pytest.param("0.125", "USD", "$0.12", id="half-to-even-down"),
        pytest.param("-12.5", "USD", "-$12.50", id="negative"),
    ],
)
def test_money_is_rounded_to_the_currencys_minor_units(amount, currency, shown):
    assert format_money(Decimal(amount), currency, "en") == shown


def test_german_readers_get_their_separators_and_the_symbol_after():
    assert format_money(Decimal("1234567.891"), "EUR", "de") == f"1.234.567,89{NBSP}€"


def test_a_lettered_symbol_is_kept_apart_from_the_digits_by_a_non_breaking_space():
    assert format_money(Decimal("7"), "CHF", "en") == f"CHF{NBSP}7.00"


def test_the_largest_storable_amount_is_written_in_full():
    assert format_money(Decimal("999999999999.999999"), "USD", "en") == "$1,000,000,000,000.00"


def test_a_negative_amount_that_rounds_to_zero_shows_no_minus():
    assert format_money(Decimal("-0.001"), "USD", "en") == "$0.00"


def test_without_a_currency_the_number_has_two_places_and_no_unit():
    assert format_money(Decimal("1234.567"), None, "en") == "1,234.57"
    assert format_money(Decimal("1234.567"), None, "de") == "1.234,57"


def test_no_amount_is_a_dash():
    assert format_money(None, "USD", "en") == "—"
    assert format_epc(None, "USD", "en") == "—"


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        pytest.param("12.488827", "USD", "$12.49", id="a-unit-or-more-is-money"),
        pytest.param("0.012345", "USD", "$0.0123", id="under-a-unit-two-more-places"),
        pytest.param("0.05", "USD", "$0.05", id="no-trailing-zeros-past-the-minor-units"),
        pytest.param("0", "EUR", "€0.00", id="zero"),
        pytest.param("0.5", "JPY", "¥0.5", id="JPY-under-a-yen"),
        pytest.param("0.0123", None, "0.0123", id="no-currency"),
    ],
)
def test_epc_under_one_unit_shows_up_to_two_more_places(amount, currency, shown):
    assert format_epc(Decimal(amount), currency, "en") == shown


def test_the_exact_amount_keeps_every_stored_digit_and_names_the_currency():
    assert format_exact(Decimal("1234567.891000"), "USD", "en") == "1,234,567.891 USD"
    assert format_exact(Decimal("100.000000"), None, "de") == "100, no currency"


def test_the_machine_value_is_plain_digits_without_exponent():
    assert machine_value(Decimal("1234567.891000")) == "1234567.891"
    assert machine_value(Decimal("100.000000")) == "100"


@pytest.mark.parametrize(
    ("environ", "locale"),
    [
        pytest.param({}, "en", id="nothing-set"),
        pytest.param({"LANG": "de_DE.UTF-8"}, "de_DE", id="LANG"),
        pytest.param({"LANG": "de_DE.UTF-8", "LC_MONETARY": "fr_FR"}, "fr_FR", id="LC_MONETARY"),
        pytest.param({"LANG": "de_DE", "LC_ALL": "en_GB.UTF-8"}, "en_GB", id="LC_ALL-wins"),
        pytest.param({"LANG": "C.UTF-8"}, "en", id="C"),
        pytest.param({"LANG": "xx_YY"}, "en", id="unknown"),
    ],
)
def test_the_terminal_locale_comes_from_the_environment(environ, locale):
    assert locale_from_environment(environ) == locale
