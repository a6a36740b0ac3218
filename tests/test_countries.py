"""Countries end to end: the click's from its address, the conversion's from the network
or its click, and everything that filters or reports by country."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import create_app
from app.config import ConfigError
from app.core import cid
from app.extensions import db
from app.models import Click, Conversion, Source
from app.models.types import utcnow
from app.queue import get_queue
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as connections
from app.services import keitaro_sync as sync
from app.services import reprocess as remapping

GOOGLE_DNS = "8.8.8.8"  # registered to the United States
GOOGLE_DNS_V6 = "2001:4860:4860::8888"


def follow(client, source, address=GOOGLE_DNS, **headers):
    answer = client.get(
        source["track_path"], headers=headers, environ_base={"REMOTE_ADDR": address}
    )
    assert answer.status_code == 302
    return answer.headers["Location"].split("_cid=")[1]


def stored_click():
    return db.session.scalars(select(Click)).one()


def conversion(conversion_id):
    db.session.expire_all()
    return db.session.get(Conversion, conversion_id)


@pytest.mark.parametrize(
    ("address", "country"),
    [(GOOGLE_DNS, "US"), (GOOGLE_DNS_V6, "US"), ("192.168.1.20", None), ("192.0.2.1", None)],
    ids=["ipv4", "ipv6", "private", "unknown"],
)
def test_a_click_gets_the_country_of_its_address(client, source, address, country):
    token = follow(client, source, address)
    assert stored_click().country == country
    assert cid.verify(keyring().click_token, token).country == country


def test_a_forwarded_address_is_not_believed_without_trusted_proxies(client, source):
    follow(client, source, "10.0.0.2", **{"X-Forwarded-For": GOOGLE_DNS})
    assert stored_click().country is None


def test_a_forwarded_address_from_a_trusted_proxy_gives_the_country(app_config, app, source):
    trusting = create_app({**app_config, "PBHUB_TRUSTED_PROXIES": 1}).test_client()
    follow(trusting, source, "10.0.0.2", **{"X-Forwarded-For": GOOGLE_DNS})
    assert stored_click().country == "US"


def test_a_cdn_country_header_is_ignored_unless_the_operator_turns_it_on(client, source):
    follow(client, source, GOOGLE_DNS, **{"CF-IPCountry": "DE"})
    assert stored_click().country == "US"


@pytest.mark.parametrize(("header", "country"), [("DE", "DE"), ("XX", "US"), ("T1", "US")])
def test_a_trusted_cdn_header_wins_when_it_names_a_country(
    app_config, app, source, header, country
):
    trusting = create_app({**app_config, "PBHUB_COUNTRY_HEADER": "CF-IPCountry"}).test_client()
    follow(trusting, source, GOOGLE_DNS, **{"CF-IPCountry": header})
    assert stored_click().country == country


def test_an_operators_maxmind_database_answers_instead(app_config, app, source, geoip_db):
    maxmind = create_app({**app_config, "PBHUB_GEOIP_DB": str(geoip_db)}).test_client()
    follow(maxmind, source, "81.2.69.160")
    assert stored_click().country == "GB"


def test_the_lookup_can_be_turned_off(app_config, app, source):
    off = create_app({**app_config, "PBHUB_GEOIP_DB": "off"}).test_client()
    follow(off, source, GOOGLE_DNS)
    assert stored_click().country is None


def test_a_geoip_setting_naming_no_database_stops_the_start(app_config, tmp_path):
    with pytest.raises(ConfigError, match="PBHUB_GEOIP_DB: there is no file at"):
        create_app({**app_config, "PBHUB_GEOIP_DB": str(tmp_path / "missing.mmdb")})


def test_a_conversion_takes_its_clicks_country(client, source, fire):
    token = follow(client, source, GOOGLE_DNS)
    assert conversion(fire(click_id=token, event="dep")).country == "US"


def test_the_networks_own_country_wins_over_the_clicks(client, source, fire):
    token = follow(client, source, GOOGLE_DNS)
    assert conversion(fire(click_id=token, event="dep", country="deu")).country == "DE"


def test_a_country_that_will_not_parse_is_noted_and_the_clicks_is_kept(client, source, fire):
    token = follow(client, source, GOOGLE_DNS)
    stored = conversion(fire(click_id=token, event="dep", country="Atlantis"))
    assert stored.country == "US"
    assert any(
        note.startswith("country: 'Atlantis' is not a country") for note in stored.parse_notes
    )


def test_an_unmatched_conversion_with_no_country_sent_has_none(fire):
    stored = conversion(fire(click_id="nobody", event="dep"))
    assert (stored.attribution, stored.country) == ("unmatched", None)


def test_a_conversion_of_an_imported_keitaro_click_takes_its_country(
    client, source, fake_keitaro, keitaro_connection
):
    row = keitaro_connection()
    fake_keitaro.add_click("kt-br", utcnow() - timedelta(minutes=10), country="br")
    tracker = connections.client_for(row, keyring(), keitaro_settings())
    sync.import_clicks(row, tracker, sync.ImportWindow(utcnow() - timedelta(hours=1), utcnow()))
    answer = client.get(source["postback_path"], query_string={"click_id": "kt-br"}).get_json()
    assert conversion(answer["conversion_id"]).country == "BR"


def test_a_conversion_matched_late_to_a_keitaro_click_takes_its_country(
    client, source, fake_keitaro, keitaro_connection
):
    answer = client.get(source["postback_path"], query_string={"click_id": "early"}).get_json()
    row = keitaro_connection()
    fake_keitaro.add_click("early", utcnow() - timedelta(minutes=10), country="mx")
    tracker = connections.client_for(row, keyring(), keitaro_settings())
    sync.import_clicks(row, tracker, sync.ImportWindow(utcnow() - timedelta(hours=1), utcnow()))
    stored = conversion(answer["conversion_id"])
    assert (stored.attribution, stored.country) == ("matched", "MX")


def test_remapping_fills_the_country_of_stored_conversions(client, make_source, operator_headers):
    network = make_source(field_map={"country": ""})
    answer = client.get(network["postback_path"], query_string={"geo": "FR", "event": "x"})
    stored_id = answer.get_json()["conversion_id"]
    assert conversion(stored_id).country is None
    client.patch(
        f"/api/v1/sources/{network['id']}",
        json={"field_map": {"country": "geo"}},
        headers=operator_headers,
    )
    source = db.session.get(Source, network["id"])
    report = remapping.reprocess(
        source, token_key=keyring().click_token, **remapping.window({"days": 1})
    ).as_dict()
    assert report["fields_changed"] == {"country": 1}
    assert conversion(stored_id).country == "FR"


def deliveries_sent(httpserver):
    return [request.args for request, _ in httpserver.log]


@pytest.mark.parametrize(("countries", "sent"), [(["US"], True), (["DE"], False)])
def test_the_outbound_country_filter_sends_only_those_countries(
    httpserver, outbound, convert, client, source, countries, sent
):
    httpserver.expect_request("/c").respond_with_data("ok")
    outbound(url_template=httpserver.url_for("/c"), countries=countries)
    convert(click_id=follow(client, source, GOOGLE_DNS))
    assert len(httpserver.log) == (1 if sent else 0)


def test_a_conversion_of_unknown_country_matches_no_country_filter(httpserver, outbound, convert):
    httpserver.expect_request("/c").respond_with_data("ok")
    outbound(url_template=httpserver.url_for("/c"), countries=["US"])
    convert(click_id="nobody")
    assert httpserver.log == []


def test_the_country_macro_sends_the_conversions_country(
    httpserver, outbound, convert, client, source
):
    httpserver.expect_request("/m").respond_with_data("ok")
    outbound(url_template=httpserver.url_for("/m") + "?geo={country}")
    convert(click_id=follow(client, source, GOOGLE_DNS), country="Brazil")
    assert deliveries_sent(httpserver)[0]["geo"] == "BR"


def test_the_signed_webhook_carries_the_country(httpserver, outbound, convert, app):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    outbound(preset="signed_webhook", url=httpserver.url_for("/hook"))
    convert(country="at")
    get_queue(app).join()
    assert httpserver.log[0][0].get_json()["data"]["country"] == "AT"


def test_the_api_lists_and_filters_conversions_by_country(client, fire, operator_headers):
    fire(event="dep", transaction_id="1", country="DE")
    fire(event="dep", transaction_id="2", country="FR")
    page = client.get("/api/v1/conversions?country=de", headers=operator_headers).get_json()
    assert [item["country"] for item in page["items"]] == ["DE"]


def test_an_unknown_country_filter_is_refused_in_a_sentence(client, operator_headers):
    answer = client.get("/api/v1/conversions?country=ZZZ", headers=operator_headers)
    assert answer.status_code == 422
    assert "is not an ISO 3166 country code, such as DE or US" in str(answer.get_json())


def test_the_csv_export_has_a_country_column(client, fire, operator_headers):
    fire(event="dep", transaction_id="1", country="PL")
    lines = client.get("/api/v1/conversions.csv", headers=operator_headers).text.splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    assert row[header.index("country")] == "PL"


def test_the_conversions_table_shows_and_filters_by_country(client, fire, sign_in):
    fire(event="dep", transaction_id="1", country="DE")
    fire(event="dep", transaction_id="2", country="FR")
    sign_in()
    page = client.get("/postbacks?country=FR").text
    assert 'title="France">FR</abbr>' in page
    assert 'title="Germany">DE</abbr>' not in page
    assert '<option value="FR" selected>France (FR)</option>' in page


def test_the_country_lookup_command_says_what_each_address_is(runner):
    result = runner.invoke(args=["countries", "lookup", GOOGLE_DNS, "10.0.0.1", "bogus"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("database: iptocc ")
    assert lines[1:] == [
        "8.8.8.8  US  United States",
        "10.0.0.1  -  a private or reserved address: no country",
        "bogus  -  is not an IPv4 or IPv6 address",
    ]
