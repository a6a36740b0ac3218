"""Translate a network's parameters into one canonical conversion.

Everything here is forgiving by design: a value that will not parse becomes ``None`` plus
a note in ``notes``, because dropping a conversion over a malformed payout loses money,
while a note lets an operator fix the map and see what arrived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from app.core.countries import read_country
from app.core.money import AmountError, parse_amount, parse_currency, quantize
from app.core.vocabulary import DEFAULT_FIELD_MAP, EVENTS, MAPPABLE_FIELDS, STATUS_SYNONYMS

MAX_TEXT = 255


@dataclass(frozen=True)
class Rules:
    """The parts of a source that translation needs (plain data, cheap to cache)."""

    field_map: Mapping[str, str]
    event_map: Mapping[str, str]
    status_map: Mapping[str, str]
    default_currency: str | None = None


@dataclass
class Canonical:
    click_id: str | None = None
    event_type: str = "unknown"
    raw_event: str | None = None
    status: str = "approved"
    raw_status: str | None = None
    transaction_id: str | None = None
    gross_amount: Decimal | None = None
    gross_currency: str | None = None
    payout_amount: Decimal | None = None
    payout_currency: str | None = None
    external_user_id: str | None = None
    #: ISO 3166 alpha-2, when the network sent a country this hub can read.
    country: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Currency fields filled from the source's default, not sent by the network.
    defaulted: set[str] = field(default_factory=set)


def normalise_label(label: str) -> str:
    return label.strip().casefold()


def lookup(params: Mapping[str, str], name: str | None) -> str | None:
    """The value of parameter ``name``: exact match first, then ignoring case."""
    if not name:
        return None
    if name in params:
        return params[name]
    folded = name.casefold()
    for key, value in params.items():
        if key.casefold() == folded:
            return value
    return None


def _text(value: str | None, name: str, notes: list[str]) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_TEXT:
        notes.append(f"{name}: longer than {MAX_TEXT} characters, truncated")
        value = value[:MAX_TEXT]
    return value


def map_event(label: str | None, event_map: Mapping[str, str]) -> str:
    if not label:
        return "unknown"
    wanted = normalise_label(label)
    for network_label, event in event_map.items():
        if normalise_label(network_label) == wanted:
            return event if event in EVENTS else "unknown"
    return wanted if wanted in EVENTS else "unknown"


def map_status(label: str | None, status_map: Mapping[str, str], notes: list[str]) -> str:
    if label is None or not label.strip():
        return "approved"
    wanted = normalise_label(label)
    for network_label, status in status_map.items():
        if normalise_label(network_label) == wanted:
            return status
    if wanted in STATUS_SYNONYMS:
        return STATUS_SYNONYMS[wanted]
    notes.append(f"status: label {label.strip()[:40]!r} is not in the status map, kept as pending")
    return "pending"


def _amount(value: str | None, name: str, notes: list[str]) -> Decimal | None:
    if value is None or not value.strip():
        return None
    try:
        amount = parse_amount(value)
    except AmountError as exc:
        notes.append(f"{name}: {value[:40]!r} refused ({exc})")
        return None
    rounded = quantize(amount)
    if rounded != amount:
        notes.append(f"{name}: rounded to 6 decimal places")
    return rounded


def _currency(value: str | None, name: str, notes: list[str]) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_currency(value)
    except AmountError as exc:
        notes.append(f"{name}: {value[:40]!r} refused ({exc})")
        return None


def _country(value: str | None, notes: list[str]) -> str | None:
    if value is None or not value.strip():
        return None
    reading = read_country(value.strip()[:64])
    if reading.problem:
        notes.append(f"country: {value.strip()[:40]!r} {reading.problem}")
    return reading.code


def translate(params: Mapping[str, str], rules: Rules, path_event: str | None = None) -> Canonical:
    """Apply the field, event and status maps to merged request parameters.

    ``path_event`` is the label from a per-event Postback URL (``/pb/<token>/<label>``);
    it applies only when the payload itself carries no event.
    """
    fmap = rules.field_map
    notes: list[str] = []
    out = Canonical(notes=notes)

    def value(canonical: str) -> str | None:
        return lookup(params, fmap.get(canonical))

    out.click_id = _text(value("click_id"), "click_id", notes)
    out.transaction_id = _text(value("transaction_id"), "transaction_id", notes)
    out.external_user_id = _text(value("external_user_id"), "external_user_id", notes)
    out.country = _country(value("country"), notes)

    raw_event = _text(value("event_type"), "event_type", notes) or _text(
        path_event, "event_type", notes
    )
    out.raw_event = raw_event
    out.event_type = map_event(raw_event, rules.event_map)

    out.raw_status = _text(value("status"), "status", notes)
    out.status = map_status(out.raw_status, rules.status_map, notes)

    for kind in ("gross", "payout"):
        amount = _amount(value(f"{kind}_amount"), f"{kind}_amount", notes)
        sent_currency = value(f"{kind}_currency")
        currency = _currency(sent_currency, f"{kind}_currency", notes)
        if amount is not None and (sent_currency is None or not sent_currency.strip()):
            currency = rules.default_currency
            if currency:
                out.defaulted.add(f"{kind}_currency")
        setattr(out, f"{kind}_amount", amount)
        setattr(out, f"{kind}_currency", currency)
    notes.extend(unmapped_notes(params, fmap, out))
    return out


#: Parameter names that plainly carry a field, beyond the default map's: a network that
#: sends one of these for a field the source leaves unmapped was ignored, and says so.
_PLAIN_NAMES: dict[str, tuple[str, ...]] = {
    "click_id": ("clickid", "subid", "sub_id", "aff_sub"),
    "event_type": ("goal", "action", "event_type"),
    "transaction_id": ("txid", "tid", "transaction", "transactionid", "order_id", "lead_id"),
    "payout_amount": ("commission", "revenue", "payout_amount"),
    "payout_currency": ("cur", "payout_currency"),
    "gross_amount": ("sale_amount", "gross", "gross_amount", "deposit"),
    "gross_currency": ("gross_currency", "sale_currency"),
    "external_user_id": ("uid", "player_id", "customer_id", "external_user_id"),
    "country": ("country_code", "countrycode", "geo"),
    "status": ("state",),
}


def unmapped_notes(params: Mapping[str, str], fmap: Mapping[str, str], out: Canonical) -> list[str]:
    """Notes for sent values the map ignores: a field left unmapped while the postback
    carries a parameter whose name says it holds that field.

    Without the note an operator sees ``unknown`` or the default currency and cannot tell
    that the network did send the value (a finalize or an edit that unmapped a field).
    """
    unmapped = [name for name in MAPPABLE_FIELDS if not fmap.get(name)]
    if not unmapped or not params:
        return []
    used = {name.casefold() for name in fmap.values() if name}
    sent = {
        key.casefold(): (key, value)
        for key, value in params.items()
        if key.casefold() not in used and isinstance(value, str) and value.strip()
    }
    notes = []
    for name in unmapped:
        for candidate in (DEFAULT_FIELD_MAP[name], *_PLAIN_NAMES.get(name, ())):
            if candidate in sent:
                key, value = sent.pop(candidate)
                notes.append(_ignored_note(name, key, value, out))
                break
    return notes


def _ignored_note(name: str, key: str, value: str, out: Canonical) -> str:
    shown = value.strip()[:40]
    note = f"{name}: “{key}={shown}” was sent but ignored, because no parameter is mapped to {name}"
    if name in out.defaulted:
        note += f"; the source's default {getattr(out, name)} was used"
    return note + f". Map {name} to “{key}” to read it."
