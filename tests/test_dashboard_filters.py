"""How the dashboard writes numbers, money, durations and times."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from app.dashboard.filters import (
    count,
    duration,
    iso,
    money,
    pretty_json,
    rate,
    reader_locale,
    short,
)


def test_money_shows_the_rounded_amount_and_keeps_the_exact_one_beside_it(app):
    with app.test_request_context("/"):
        shown = money(Decimal("1234567.891000"), "USD")
    assert shown == (
        '<data class="amount" value="1234567.891" title="1,234,567.891 USD">$1,234,567.89</data>'
    )


def test_money_without_an_amount_is_a_dash():
    assert money(None, "USD") == "—"


def test_epc_under_one_unit_keeps_two_more_places():
    assert ">$0.0123<" in rate(Decimal("0.012345"), "USD")


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        pytest.param("de-DE,de;q=0.9,en;q=0.8", "de_DE", id="german"),
        pytest.param("tlh,en-GB;q=0.5", "en_GB", id="unknown-then-known"),
        pytest.param("*", "en", id="anything"),
        pytest.param(None, "en", id="none-sent"),
    ],
)
def test_the_readers_locale_is_the_best_known_one_the_browser_offers(app, header, locale):
    headers = {"Accept-Language": header} if header else {}
    with app.test_request_context("/", headers=headers):
        assert reader_locale() == locale


def test_each_request_is_read_in_its_own_readers_locale(app):
    for header, locale in (("de", "de"), ("fr", "fr"), ("en", "en")):
        with app.test_request_context("/", headers={"Accept-Language": header}):
            assert reader_locale() == locale


def test_german_readers_see_german_money(app):
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert ">1.234,50\u00a0€<" in money(Decimal("1234.5"), "EUR")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(5, "5 s"), (60, "1 min"), (90, "1.5 min"), (21600, "6 h"), (129600, "1.5 d"), (None, "—")],
)
def test_durations_read_as_people_say_them(seconds, shown):
    assert duration(seconds) == shown


def test_counts_are_grouped_the_readers_way(app):
    assert count(1234567) == "1,234,567"
    with app.test_request_context("/", headers={"Accept-Language": "de"}):
        assert count(1234567) == "1.234.567"


def test_times_are_written_in_utc_for_the_browser_to_localise():
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert iso(moment) == "2026-01-02T01:04:05Z"
    assert iso(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00Z"


def test_long_values_are_shortened_with_an_ellipsis():
    assert short("abcdefghijklmnop", 6) == "abcde…"
    assert short(None) == "—"


def test_raw_requests_are_indented_json_text_with_markup_kept_as_text():
    assert pretty_json({"b": "<i>", "a": 1}) == '{\n  "a": 1,\n  "b": "<i>"\n}'
