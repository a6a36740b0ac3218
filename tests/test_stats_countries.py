"""Stats by country: the API's ``group_by=country``, ``pbhub stats show --group-by country``
and the live card's top countries. Groups are counted as the totals are, add up to them,
and equal a plain aggregate of the raw rows whatever is rolled up, dirty or partial."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.extensions import db
from app.models import Click, ClickRollup, Conversion, ConversionRollup, CountryRollup, Source
from app.models.types import utcnow
from app.services import rollups, stats
from tests.stats_reference import RANDOM_HISTORIES, empty_stats_tables, reference

NOW = datetime(2026, 11, 20, 14, 37, 12, 345678, tzinfo=UTC)
ids = itertools.count(1)


# Factories --------------------------------------------------------------------------------


def add_source() -> int:
    n = next(ids)
    source = Source(
        name=f"Country network {n}",
        public_id=f"cty{n}",
        token_digest=f"cty-digest{n}",
        token_ciphertext="x",
        field_map={},
        event_map={},
        status_map={},
        attribution_window_days=30,
        offer_url="https://offer.test/lp",
    )
    db.session.add(source)
    db.session.commit()
    return source.id


def add_click(source_id: int | None, at: datetime, country: str | None, **fields) -> Click:
    click = Click(
        source_id=source_id, click_id=f"c{next(ids)}", clicked_at=at, country=country, **fields
    )
    db.session.add(click)
    db.session.commit()
    return click


def add_conversion(source_id: int, at: datetime, country: str | None, **fields) -> Conversion:
    n = next(ids)
    duplicate = fields.get("attribution") == "duplicate"
    values = {
        "attribution": "matched",
        "event_type": "ftd",
        "status": "approved",
        "payout_amount": Decimal("10.5"),
        "payout_currency": "USD",
        "raw_request": {},
        "dedupe_key": None if duplicate else f"k{n}",
        **fields,
    }
    conversion = Conversion(
        source_id=source_id, received_at=at, updated_at=at, country=country, **values
    )
    db.session.add(conversion)
    db.session.commit()
    return conversion


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def assert_exact(source_ids: list[int], now: datetime = NOW) -> None:
    for window in stats.WINDOWS:
        for source_id in (None, *source_ids):
            found = stats.compute(window, source_id, now, group_by="country")
            assert found == reference(window, source_id, now, "country"), (window, source_id)


def get_stats(client, headers, **query) -> dict:
    answer = client.get("/api/v1/stats", query_string=query, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def groups_of(body: dict) -> dict:
    return {group["country"]: group for group in body["groups"]}


@pytest.fixture
def two_sources(app) -> list[int]:
    return [add_source(), add_source()]


@pytest.fixture
def country_header(app):
    """Track URL clicks take their country from a CDN's header, as the operator allows."""
    app.config["PBHUB_COUNTRY_HEADER"] = "CF-IPCountry"
    return "CF-IPCountry"


# The API ----------------------------------------------------------------------------------


def test_clicks_are_counted_per_country_from_track_urls_and_imports(
    client, source, operator_headers, country_header
):
    for country in ("DE", "DE", "FR"):
        client.get(source["track_path"], headers={country_header: country})
    add_click(None, utcnow() - timedelta(minutes=5), "FR", origin="keitaro")
    add_click(None, utcnow() - timedelta(minutes=5), "BR", origin="keitaro")
    body = get_stats(client, operator_headers, window="1h", group_by="country")
    clicks = {group["country"]: group["clicks"] for group in body["groups"]}
    assert clicks == {"DE": 2, "FR": 2, "BR": 1}
    assert body["clicks"] == 5


def test_conversions_are_counted_per_country_as_the_totals_are(
    client, source, fire, operator_headers, country_header
):
    fire(transaction_id="1", country="DE", event="dep")
    fire(transaction_id="1", country="DE", event="dep")  # a duplicate
    fire(transaction_id="2", country="DE", status="rejected")
    fire(transaction_id="3", country="DE", status="pending", event="reg")
    track = client.get(source["track_path"], headers={country_header: "AT"})
    fire(transaction_id="4", click_id=track.headers["Location"].split("_cid=")[1])
    body = get_stats(client, operator_headers, group_by="country")
    groups = groups_of(body)
    assert groups["DE"]["conversions"] == 2
    assert (groups["AT"]["clicks"], groups["AT"]["conversions"]) == (1, 1)
    assert body["conversions"] == 3


def test_money_is_summed_per_currency_within_each_country(
    client, source, fire, operator_headers, country_header
):
    for _ in range(4):
        client.get(source["track_path"], headers={country_header: "DE"})
    fire(transaction_id="1", country="DE", payout="10", currency="USD")
    fire(transaction_id="2", country="DE", payout="2", currency="USD", status="pending")
    fire(
        transaction_id="3",
        country="DE",
        payout="5",
        currency="EUR",
        amount="50",
        amount_currency="EUR",
    )
    fire(transaction_id="4", country="FR", payout="3", currency="USD")
    groups = groups_of(get_stats(client, operator_headers, group_by="country"))
    assert groups["DE"]["payout"] == [
        {
            "currency": "EUR",
            "approved": "5.000000",
            "pending": "0.000000",
            "total": "5.000000",
            "epc": "1.250000",
        },
        {
            "currency": "USD",
            "approved": "10.000000",
            "pending": "2.000000",
            "total": "12.000000",
            "epc": "3.000000",
        },
    ]
    assert groups["FR"]["payout"][0]["epc"] == "0.000000"  # FR has no clicks


def test_traffic_without_a_country_is_a_group_of_its_own(
    client, source, fire, operator_headers, country_header
):
    client.get(source["track_path"])  # a loopback visitor, no header: no country
    client.get(source["track_path"], headers={country_header: "DE"})
    fire(transaction_id="1")
    fire(transaction_id="2", country="DE")
    body = get_stats(client, operator_headers, group_by="country")
    assert [(g["country"], g["clicks"], g["conversions"]) for g in body["groups"]] == [
        ("DE", 1, 1),
        (None, 1, 1),
    ]


def test_groups_rank_by_conversions_then_clicks_then_code_with_no_country_last(
    client, source, fire, operator_headers, country_header
):
    for country in ("US", "US", "GB"):
        client.get(source["track_path"], headers={country_header: country})
    client.get(source["track_path"])
    for n, country in enumerate(("FR", "FR", "US", "GB", "BR")):
        fire(transaction_id=str(n), country=country)
    body = get_stats(client, operator_headers, group_by="country")
    assert [g["country"] for g in body["groups"]] == ["FR", "US", "GB", "BR", None]


def test_the_groups_add_up_to_the_totals(client, source, fire, operator_headers, country_header):
    for country in ("DE", "FR", "FR"):
        client.get(source["track_path"], headers={country_header: country})
    client.get(source["track_path"])
    fire(transaction_id="1", country="DE", payout="1.25", currency="EUR")
    fire(transaction_id="2", country="FR", payout="0.75", currency="EUR", event="reg")
    fire(transaction_id="3", payout="4", currency="USD", status="pending")
    body = get_stats(client, operator_headers, group_by="country")
    groups = body["groups"]
    assert sum(g["clicks"] for g in groups) == body["clicks"] == 4
    assert sum(g["conversions"] for g in groups) == body["conversions"] == 3
    for total in body["payout"]:
        parts = [r for g in groups for r in g["payout"] if r["currency"] == total["currency"]]
        assert sum(Decimal(r["total"]) for r in parts) == Decimal(total["total"])


def test_a_group_holds_clicks_conversions_and_payout_and_leaves_events_to_the_totals(
    client, fire, operator_headers
):
    fire(transaction_id="1", country="DE", event="dep", amount="50", amount_currency="EUR")
    body = get_stats(client, operator_headers, group_by="country")
    assert set(body["groups"][0]) == {"country", "clicks", "conversions", "payout"}
    assert body["events"]["ftd"] == 1 and body["gross"][0]["total"] == "50.000000"


def test_a_source_filter_applies_to_the_groups(client, make_source, operator_headers):
    a, b = make_source(), make_source()
    client.get(a["postback_path"], query_string={"transaction_id": "1", "country": "DE"})
    client.get(b["postback_path"], query_string={"transaction_id": "1", "country": "FR"})
    body = get_stats(client, operator_headers, source_id=a["id"], group_by="country")
    assert [g["country"] for g in body["groups"]] == ["DE"]


def test_without_group_by_the_answer_has_no_groups(client, fire, operator_headers):
    fire(transaction_id="1", country="DE")
    body = get_stats(client, operator_headers)
    assert (body["group_by"], body["groups"]) == (None, None)
    assert body["conversions"] == 1


def test_grouping_by_anything_but_country_is_refused_in_a_sentence(client, operator_headers):
    answer = client.get("/api/v1/stats?window=24h&group_by=city", headers=operator_headers)
    assert answer.status_code == 422
    sentence = (
        "group_by must be country, the one grouping the stats know; leave it out for the "
        "totals alone."
    )
    assert answer.get_json()["error"]["fields"] == {"group_by": [sentence]}
    assert answer.get_json()["error"]["message"] == sentence


def test_the_openapi_document_describes_group_by_and_the_groups(client):
    document = client.get("/api/v1/openapi.json").get_json()
    parameters = document["paths"]["/api/v1/stats"]["get"]["parameters"]
    assert "group_by" in {parameter["name"] for parameter in parameters}
    groups = document["components"]["schemas"]["Stats"]["properties"]["groups"]
    assert groups["items"]["$ref"].endswith("/StatsGroup")


# Exactness --------------------------------------------------------------------------------


def test_groups_are_exact_from_rolled_up_dirty_and_partial_hours(two_sources):
    a, b = two_sources
    for n, hours in enumerate((0.2, 1.5, 5, 23.9, 24.1, 50, 167.9)):
        country = ("DE", "FR", None)[n % 3]
        add_click(a, hours_ago(hours), country)
        add_click(None, hours_ago(hours), "BR", origin="keitaro")
        add_conversion(b, hours_ago(hours), country, gross_amount=Decimal("9.99"))
    rollups.roll_up(NOW)
    assert db.session.scalars(select(ClickRollup.country).distinct()).all()
    add_click(a, hours_ago(5), "US")  # dirties a rolled-up hour
    add_conversion(a, hours_ago(50), "US", payout_currency="EUR")
    add_conversion(b, NOW - timedelta(minutes=1), "DE", status="pending")  # the partial end
    add_click(b, hours_ago(24) + timedelta(seconds=1), "FR")  # the partial start
    dirty = rollups.dirty_hours(hours_ago(200), NOW)
    assert rollups.hour_of(hours_ago(5)) in dirty["clicks"]
    assert rollups.hour_of(hours_ago(50)) in dirty["conversions"]
    assert_exact(two_sources)


def test_rolled_up_hours_keep_each_country_apart(two_sources):
    a, _ = two_sources
    for country in ("DE", "DE", "FR", None):
        add_click(a, hours_ago(3), country)
        add_conversion(a, hours_ago(3), country)
    rollups.roll_up(NOW)
    clicks = dict(db.session.execute(select(ClickRollup.country, ClickRollup.clicks)).all())
    conversions = dict(
        db.session.execute(select(CountryRollup.country, CountryRollup.conversions)).all()
    )
    assert clicks == conversions == {"DE": 2, "FR": 1, None: 1}


def test_the_totals_rollup_holds_one_row_per_key_whatever_the_countries(two_sources):
    a, _ = two_sources
    for country in ("DE", "FR", "US", None):
        add_conversion(a, hours_ago(3), country)
    rollups.roll_up(NOW)
    assert db.session.execute(select(ConversionRollup.conversions)).scalars().all() == [4]


def test_rejected_conversions_stay_out_of_the_country_rollup(two_sources):
    a, _ = two_sources
    add_conversion(a, hours_ago(3), "DE", status="rejected")
    add_conversion(a, hours_ago(3), "DE", attribution="duplicate")
    add_conversion(a, hours_ago(3), "DE", status="pending")
    rollups.roll_up(NOW)
    assert db.session.execute(select(CountryRollup.status, CountryRollup.conversions)).all() == [
        ("pending", 1)
    ]


def test_changing_a_conversions_country_moves_it_between_groups(two_sources):
    a, _ = two_sources
    conversion = add_conversion(a, hours_ago(10), "DE")
    rollups.roll_up(NOW)
    db.session.execute(
        update(Conversion).where(Conversion.id == conversion.id).values(country="FR")
    )
    db.session.commit()
    moved = stats.compute("24h", now=NOW, group_by="country").groups
    assert [(g.country, g.conversions) for g in moved] == [("FR", 1)]
    rollups.roll_up(NOW)
    assert db.session.scalars(select(CountryRollup.country)).all() == ["FR"]
    assert stats.compute("24h", now=NOW, group_by="country").groups == moved
    assert_exact(two_sources)


def test_changing_a_clicks_country_moves_it_between_groups(two_sources):
    a, _ = two_sources
    click = add_click(a, hours_ago(10), None)
    rollups.roll_up(NOW)
    db.session.execute(update(Click).where(Click.id == click.id).values(country="PL"))
    db.session.commit()
    groups = stats.compute("24h", now=NOW, group_by="country").groups
    assert [(g.country, g.clicks) for g in groups] == [("PL", 1)]
    assert_exact(two_sources)


@RANDOM_HISTORIES
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["click", "conversion", "move", "roll_up"]),
            st.integers(min_value=0, max_value=1),
            st.floats(min_value=0, max_value=200),
            st.sampled_from([None, "DE", "FR", "US"]),
            st.sampled_from(["approved", "pending", "rejected"]),
            st.sampled_from([None, "USD", "EUR"]),
            st.sampled_from(["matched", "duplicate"]),
        ),
        max_size=25,
    ),
    minutes=st.integers(min_value=0, max_value=600),
)
def test_any_history_reads_per_country_as_a_raw_aggregate(two_sources, rows, minutes):
    """Rows of any country in any hour, countries changed afterwards, roll-ups at any
    point, read at any later moment."""
    made: list[Conversion] = []
    for op, which, hours, country, status, currency, attribution in rows:
        source_id = two_sources[which]
        if op == "click":
            add_click(source_id if which else None, hours_ago(hours), country)
        elif op == "conversion":
            made.append(
                add_conversion(
                    source_id,
                    hours_ago(hours),
                    country,
                    status=status,
                    payout_currency=currency,
                    attribution=attribution,
                )
            )
        elif op == "move" and made:
            made[int(hours) % len(made)].country = country
            db.session.commit()
        else:
            rollups.roll_up(NOW)
    assert_exact(two_sources, NOW + timedelta(minutes=minutes))
    empty_stats_tables()


# The command line -------------------------------------------------------------------------


@pytest.fixture
def traffic(client, source, fire, country_header):
    """Germany: two clicks and a 10 USD deposit; France: a click; one click of nowhere."""
    for country in ("DE", "DE", "FR"):
        client.get(source["track_path"], headers={country_header: country})
    client.get(source["track_path"])
    fire(transaction_id="1", country="DE", payout="10", currency="USD")


def test_cli_prints_the_figures_and_a_table_per_country(runner, traffic):
    result = runner.invoke(
        args=["stats", "show", "--window", "1h", "--group-by", "country"],
        env={"LC_ALL": "en_US.UTF-8"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "clicks       4" in lines and "conversions  1" in lines
    header = next(n for n, line in enumerate(lines) if line.startswith("code"))
    assert lines[header].split() == [
        "code",
        "country",
        "clicks",
        "conversions",
        "payout",
        "EPC",
    ]
    table = [line.split() for line in lines[header + 2 :]]
    assert table == [
        ["DE", "Germany", "2", "1", "$10.00", "$5.00"],
        ["FR", "France", "1", "0", "0", "0"],
        ["—", "unknown", "1", "0", "0", "0"],
    ]


def test_cli_without_group_by_prints_no_table(runner, traffic):
    result = runner.invoke(args=["stats", "show"])
    assert result.exit_code == 0, result.output
    assert "Germany" not in result.output and "clicks       4" in result.output


def test_cli_json_is_the_apis_answer(runner, client, operator_headers, traffic):
    result = runner.invoke(args=["stats", "show", "--group-by", "country", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    answered = get_stats(client, operator_headers, group_by="country")
    assert printed["groups"] == answered["groups"]
    assert printed["group_by"] == "country"


def test_cli_refuses_another_grouping_naming_the_option(runner, app):
    result = runner.invoke(args=["stats", "show", "--group-by", "city"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: --group-by must be country, the one grouping the stats know; "
        "leave it out for the totals alone."
    )


# The live card ----------------------------------------------------------------------------


def top_countries(html: str) -> str:
    return re.search(r'<table class="data" id="top-countries">.*?</table>', html, re.S).group(0)


def rows_of(table: str) -> list[str]:
    return re.findall(r'<tr data-country="([^"]+)"', table)


def test_the_card_lists_the_top_five_countries_and_counts_the_rest(card, client, source, fire):
    for n, country in enumerate(("DE", "DE", "DE", "FR", "FR", "US", "GB", "BR", "PL", "AT")):
        fire(transaction_id=str(n), country=country)
    html = card()
    assert rows_of(top_countries(html)) == ["DE", "FR", "AT", "BR", "GB"]
    assert '<p class="more-countries muted">2 more countries</p>' in html


def test_each_country_row_names_it_links_its_conversions_and_shows_its_figures(card, traffic, fire):
    fire(transaction_id="2", country="DE", payout="5", currency="EUR")
    table = top_countries(card("7d"))
    germany = re.search(r'<tr data-country="DE">.*?</tr>', table, re.S).group(0)
    link = '<a href="/postbacks?window=7d&amp;country=DE" title="Conversions from Germany">'
    assert link in germany
    assert '<span class="country-code">DE</span> Germany</a>' in germany
    cells = re.findall(r'<td class="num">(.*?)</td>', germany, re.S)
    assert cells[:2] == ["2", "2"]
    assert re.findall(r'value="([\d.]+)"', cells[2]) == ["5", "10"]  # EUR, then USD


def test_the_card_has_an_unknown_row_for_traffic_without_a_country(card, traffic):
    table = top_countries(card())
    assert rows_of(table) == ["DE", "FR", "unknown"]
    unknown = re.search(r'<tr data-country="unknown">.*?</tr>', table, re.S).group(0)
    assert ">Unknown</span>" in unknown and "<a " not in unknown
    assert re.findall(r'<td class="num">(.*?)</td>', unknown) == ["1", "0", "0"]


def test_the_table_has_a_caption_and_column_and_row_headers(card, traffic):
    table = top_countries(card())
    assert "<caption>Top countries" in table
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)
    assert headers == ["Country", "Clicks", "Conversions", "Payout"]
    assert table.count('<th scope="row">') == 3


def test_without_traffic_the_card_says_there_are_no_countries(card):
    html = card("15m")
    assert "Top countries: no traffic in this window." in html
    assert 'id="top-countries"' not in html


def test_the_postbacks_page_shows_the_same_top_countries(client, card, traffic):
    page = client.get("/postbacks?window=24h").get_data(as_text=True)
    assert rows_of(top_countries(page)) == rows_of(top_countries(card())) == ["DE", "FR", "unknown"]
