"""Countries: a visitor's address to ISO 3166 alpha-2, and a network's country to the same.

Two lookups of an address, both offline and loaded once per process:

* ``iptocc`` (the default): the five Regional Internet Registries' delegation files,
  compiled into the package. No account, no download, no file to keep; it names the
  country a block is *registered* to, which agrees with MaxMind's GeoLite2 for about 95 %
  of IPv4 addresses (measured in docs/countries.md), in about a tenth of a microsecond.
* a MaxMind database (GeoLite2 or GeoIP2, Country or City) the operator already keeps,
  read with ``maxminddb``: memory-mapped, so every process on a machine shares its pages.

Neither knows private, reserved or unallocated addresses: they have no country (``None``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pycountry


class CountryLookup(Protocol):
    #: What answers, as the operator would name it (shown by the CLI and the docs).
    name: str

    def country_of(self, address: str | None) -> str | None: ...


class NoLookup:
    """Country lookup turned off (``PBHUB_GEOIP_DB=off``): every click's country is unknown."""

    name = "off"

    def country_of(self, address: str | None) -> str | None:
        return None


class RegistryLookup:
    """The registries' allocations, as ``iptocc`` ships them."""

    def __init__(self) -> None:
        from iptocc import country_code

        self._country_code = country_code
        self.name = f"iptocc {metadata.version('iptocc')} (Regional Internet Registry data)"

    def country_of(self, address: str | None) -> str | None:
        if not address:
            return None
        try:
            code = self._country_code(address)
        except (TypeError, ValueError):
            return None
        return code if code and code in _alpha_2() else None


class MaxMindLookup:
    """A GeoLite2 or GeoIP2 Country or City database."""

    def __init__(self, path: str) -> None:
        import maxminddb
        from maxminddb.errors import InvalidDatabaseError

        try:
            self._reader = maxminddb.open_database(path)
        except FileNotFoundError:
            raise GeoDatabaseError(f"PBHUB_GEOIP_DB: there is no file at {path}") from None
        except (InvalidDatabaseError, OSError, ValueError):
            raise GeoDatabaseError(
                f"PBHUB_GEOIP_DB: {path} is not a MaxMind database (.mmdb) this hub can read"
            ) from None
        kind = self._reader.metadata().database_type
        if "Country" not in kind and "City" not in kind:
            raise GeoDatabaseError(
                f"PBHUB_GEOIP_DB: {path} is a {kind} database; point it at a GeoLite2 or "
                "GeoIP2 Country or City database"
            )
        built = self._reader.metadata().build_epoch
        self.name = f"{kind} ({Path(path).name}, built {_date(built)})"

    def country_of(self, address: str | None) -> str | None:
        if not address:
            return None
        try:
            record: Any = self._reader.get(address)
        except (TypeError, ValueError):
            return None
        if not isinstance(record, dict):
            return None
        for key in ("country", "registered_country"):
            place = record.get(key)
            code = place.get("iso_code") if isinstance(place, dict) else None
            if isinstance(code, str) and code.upper() in _alpha_2():
                return code.upper()
        return None


class GeoDatabaseError(ValueError):
    """``PBHUB_GEOIP_DB`` names something that is not a country database."""


def open_lookup(setting: str | None) -> CountryLookup:
    """The lookup ``PBHUB_GEOIP_DB`` asks for: unset for the registries' data, ``off``,
    or the path of a MaxMind database."""
    value = (setting or "").strip()
    if not value:
        return RegistryLookup()
    if value.lower() in ("off", "none", "false", "0"):
        return NoLookup()
    return MaxMindLookup(value)


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


# A network's country, as it sends one ----------------------------------------------------

#: What networks write that ISO or pycountry's names do not say.
ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
    "russia": "RU",
    "korea": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "turkey": "TR",
    "ivory coast": "CI",
    "holland": "NL",
    "the netherlands": "NL",
    "macedonia": "MK",
    "swaziland": "SZ",
    "czechia": "CZ",
    "cape verde": "CV",
    "east timor": "TL",
    "burma": "MM",
    "laos": "LA",
    "syria": "SY",
    "vatican": "VA",
    "vatican city": "VA",
    "uae": "AE",
    "emirates": "AE",
    "drc": "CD",
    "dr congo": "CD",
    "congo-kinshasa": "CD",
    "congo-brazzaville": "CG",
    "palestine": "PS",
    "taiwan": "TW",
    "moldova": "MD",
    "tanzania": "TZ",
    "venezuela": "VE",
    "bolivia": "BO",
    "iran": "IR",
    "vietnam": "VN",
    "brunei": "BN",
    "micronesia": "FM",
    "el": "GR",
}
#: Values that say "unknown" rather than naming a country: no country, and nothing to note.
UNKNOWN = frozenset(
    {"", "-", "--", "xx", "zz", "t1", "a1", "a2", "o1", "n/a", "na", "none", "null"}
    | {"unknown", "undefined", "other"}
)
_SPACES = re.compile(r"[\s_]+")


@lru_cache(maxsize=1)
def _alpha_2() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@dataclass(frozen=True)
class CountryReading:
    code: str | None
    #: Why a value that was sent gave no country, in a sentence; None when it parsed.
    problem: str | None = None


@lru_cache(maxsize=2048)
def read_country(raw: str) -> CountryReading:
    """ISO 3166 alpha-2 from an alpha-2 or alpha-3 code, a numeric code or an English
    name (``de``, ``DEU``, ``276``, ``Germany``); ``UK`` and names networks use that the
    standard does not (``Russia``, ``Turkey``, ``Holland``) are read too."""
    text = _SPACES.sub(" ", raw.strip()).casefold()
    if text in UNKNOWN:
        return CountryReading(None)
    if text in ALIASES:
        return CountryReading(ALIASES[text])
    if len(text) == 2 and text.upper() in _alpha_2():
        return CountryReading(text.upper())
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        return CountryReading(
            None,
            "is not a country this hub can read; send an ISO 3166 code such as DE or DEU, "
            "or an English name such as Germany",
        )
    return CountryReading(country.alpha_2)


@lru_cache(maxsize=1)
def country_names() -> tuple[tuple[str, str], ...]:
    """Every ISO 3166 country as (code, common name), by name: the dashboard's choices."""
    named = (
        (country.alpha_2, getattr(country, "common_name", None) or country.name)
        for country in pycountry.countries
    )
    return tuple(sorted(named, key=lambda pair: pair[1]))


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return dict(country_names())


def country_name(code: str | None) -> str:
    """``DE`` -> ``Germany``; a code the standard does not know is shown as it is."""
    if not code:
        return "unknown"
    return _names().get(code, code)


def stored_code(value: str | None) -> str | None:
    """A stored or tracker-reported country (``de``, ``DE ``) as a code, if it is one."""
    code = (value or "").strip().upper()
    return code if code in _alpha_2() else None


def is_country_code(value: str) -> bool:
    """An ISO 3166 alpha-2 code as stored (upper case)."""
    return value in _alpha_2()
