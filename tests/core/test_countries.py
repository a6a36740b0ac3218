"""Countries: reading a network's value, and looking a visitor's address up offline."""

from datetime import UTC, datetime
from importlib import metadata

import pytest

from app.core import cid
from app.core.countries import (
    GeoDatabaseError,
    MaxMindLookup,
    NoLookup,
    RegistryLookup,
    open_lookup,
    read_country,
)

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        (" deu ", "DE"),
        ("276", "DE"),
        ("Germany", "DE"),
        ("united states", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("Russia", "RU"),
        ("South Korea", "KR"),
        ("Turkey", "TR"),
        ("Ivory_Coast", "CI"),
    ],
)
def test_a_country_is_read_from_a_code_or_an_english_name(sent, code):
    assert read_country(sent).code == code
    assert read_country(sent).problem is None


@pytest.mark.parametrize("sent", ["XX", "zz", "--", "unknown", "N/A"])
def test_a_value_that_says_unknown_is_no_country_and_no_problem(sent):
    assert read_country(sent).code is None
    assert read_country(sent).problem is None


@pytest.mark.parametrize("sent", ["Atlantis", "{country}", "12.50", "QQ"])
def test_a_value_that_names_no_country_is_a_problem_said_in_a_sentence(sent):
    reading = read_country(sent)
    assert reading.code is None
    assert "ISO 3166 code such as DE" in reading.problem


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("8.8.8.8", "US"),
        ("2001:4860:4860::8888", "US"),
        ("10.0.0.1", None),
        ("fd00::1", None),
        ("192.0.2.1", None),
        ("not an address", None),
        ("", None),
        (None, None),
    ],
    ids=["ipv4", "ipv6", "private-v4", "private-v6", "unknown", "junk", "empty", "none"],
)
def test_the_registries_data_answers_public_addresses_only(address, code):
    assert RegistryLookup().country_of(address) == code


def test_the_shipped_database_names_its_package_and_installed_version():
    installed = metadata.version("iptocc")
    assert RegistryLookup().name == f"iptocc {installed} (Regional Internet Registry data)"


def test_a_maxmind_database_answers_country_then_registered_country(geoip_db):
    lookup = MaxMindLookup(str(geoip_db))
    assert lookup.country_of("81.2.69.160") == "GB"
    assert lookup.country_of("2a02:2770::1") == "NL"
    assert lookup.country_of("89.160.20.112") == "SE"
    assert lookup.country_of("10.0.0.1") is None
    assert lookup.country_of("999.1.1.1") is None
    assert lookup.name.startswith("GeoLite2-Country (test-country.mmdb, built ")


def test_a_missing_maxmind_file_is_refused_naming_the_setting(tmp_path):
    with pytest.raises(GeoDatabaseError, match="PBHUB_GEOIP_DB: there is no file at"):
        MaxMindLookup(str(tmp_path / "absent.mmdb"))


def test_a_file_that_is_no_maxmind_database_is_refused(tmp_path):
    junk = tmp_path / "junk.mmdb"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(GeoDatabaseError, match="is not a MaxMind database"):
        MaxMindLookup(str(junk))


def test_a_maxmind_database_of_another_kind_is_refused(geoip_db_of_kind):
    with pytest.raises(GeoDatabaseError, match="is a GeoLite2-ASN database"):
        MaxMindLookup(str(geoip_db_of_kind("GeoLite2-ASN")))


def test_the_setting_chooses_the_lookup(geoip_db):
    assert isinstance(open_lookup(""), RegistryLookup)
    assert isinstance(open_lookup("off"), NoLookup)
    assert isinstance(open_lookup(str(geoip_db)), MaxMindLookup)


def test_a_click_token_carries_its_country_signed():
    at = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    token = cid.mint(KEY, 7, at, "BR")
    assert len(token) == cid.TOKEN_LENGTH
    assert cid.verify(KEY, token) == cid.ClickToken(source_id=7, clicked_at=at, country="BR")
    assert cid.verify(KEY, cid.mint(KEY, 7, at)).country is None


def test_a_token_minted_before_countries_still_verifies_without_one():
    import base64
    import hashlib
    import hmac
    import struct

    at = datetime(2026, 11, 1, tzinfo=UTC)
    body = struct.pack(">BI6s8s", 1, 7, int(at.timestamp() * 1000).to_bytes(6, "big"), b"n" * 8)
    mac = hmac.new(KEY, body, hashlib.sha256).digest()[:12]
    old = base64.urlsafe_b64encode(body + mac).decode().rstrip("=")
    assert len(old) == cid.TOKEN_LENGTH_V1
    assert cid.verify(KEY, old) == cid.ClickToken(source_id=7, clicked_at=at, country=None)
