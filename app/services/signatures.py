"""Signatures as the app sees them: the plugin registry, admin-written signatures,
detection with support tickets, and sources created from a detection."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.core.field_errors import or_list
from app.core.keys import Keyring, redact
from app.core.reader import read
from app.core.sample import Sample, parse_sample
from app.core.vocabulary import MAPPABLE_FIELDS
from app.extensions import db
from app.models import AdminSignature, Ticket
from app.models.types import MAX_INTEGER, utcnow
from app.services import sources as source_service
from app.services.errors import Conflict, Invalid, NotFound
from plugins import Signature
from plugins.detection import Candidate, Detection, detect
from plugins.manager import AdminSignatures, build_manager, collect

log = logging.getLogger(__name__)
ADMIN_ORIGIN = "admin"


class SignatureRegistry:
    """Built once per app: the plugin manager, plus a cache of the admin-written
    signatures that is refreshed whenever the table's stamp (count, last update)
    changes, so an edit reaches every process without a restart."""

    def __init__(self, *, blocked: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._admin: list[Signature] = []
        self.manager = build_manager(blocked=blocked)
        # Two plugins claiming one id, or one returning something else, stop start-up
        # here rather than failing every detection later; admin signatures join after.
        collect(self.manager)
        self.manager.register(AdminSignatures(self._admin_signatures), name="admin")

    def all(self) -> list[Signature]:
        return collect(self.manager)

    def _admin_signatures(self) -> list[Signature]:
        stamp = tuple(
            db.session.execute(
                select(func.count(), func.max(AdminSignature.updated_at)).select_from(
                    AdminSignature
                )
            ).one()
        )
        with self._lock:
            if stamp != self._stamp:
                rows = db.session.scalars(select(AdminSignature).order_by(AdminSignature.id))
                self._admin = [as_signature(row) for row in rows]
                self._stamp = stamp
            return list(self._admin)


def described(registry: SignatureRegistry) -> list[dict[str, Any]]:
    """Every signature as the API and the dashboard show it, by id."""
    return sorted((s.describe() for s in registry.all()), key=lambda s: s["id"])


def as_signature(row: AdminSignature) -> Signature:
    """An admin's parameter lists as a declarative signature (it knows parameter names,
    not macros: admins describe what arrives at the hub)."""
    params: dict[str, list[str]] = {"click_id": list(row.click_id_params or [])}
    for canonical, name in (
        ("event_type", row.event_param),
        ("payout_amount", row.amount_param),
        ("payout_currency", row.currency_param),
    ):
        if name:
            params.setdefault(canonical, []).append(name)
    for canonical, name in (row.field_map or {}).items():
        if name and name not in params.get(canonical, []):
            params.setdefault(canonical, []).append(name)
    names = [name for names in params.values() for name in names]
    return Signature(
        id=row.id,
        name=row.name,
        params={k: tuple(v) for k, v in params.items() if v},
        event_map=dict(row.event_map or {}),
        distinctive=tuple(names),
        origin=ADMIN_ORIGIN,
    )


# -- admin-written signatures -------------------------------------------------------


def list_admin_signatures() -> list[AdminSignature]:
    return list(db.session.scalars(select(AdminSignature).order_by(AdminSignature.id)))


def get_admin_signature(signature_id: str) -> AdminSignature:
    row = db.session.get(AdminSignature, signature_id)
    if row is None:
        raise NotFound(f"no admin signature {signature_id!r}")
    return row


def _id_taken_error(signature_id: str) -> Conflict:
    return Conflict(
        f"a signature “{signature_id}” exists",
        {"id": ["is already taken by another signature; choose another id"]},
    )


def create_admin_signature(data: Mapping[str, Any], registry: SignatureRegistry) -> AdminSignature:
    if any(s.id == data["id"] for s in registry.all()):
        raise _id_taken_error(data["id"])
    row = AdminSignature(**data)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _id_taken_error(data["id"]) from None
    return row


def update_admin_signature(row: AdminSignature, changes: Mapping[str, Any]) -> AdminSignature:
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    db.session.commit()
    return row


def delete_admin_signature(row: AdminSignature) -> None:
    db.session.delete(row)
    db.session.commit()


# -- detection and tickets --------------------------------------------------------------


def detect_url(
    url: str, registry: SignatureRegistry, sample_postback: str | None = None
) -> tuple[Detection, Ticket | None]:
    """Detect, and open (or count a repeat on) a support ticket when nothing fits."""
    detection = detect(url, registry.all(), sample_postback)
    ticket = report_unknown(detection.sample) if detection.outcome == "unknown" else None
    return detection, ticket


def _key_set(sample: Sample) -> str:
    keys = sorted({key.casefold() for key in sample.keys})
    return hashlib.sha256("\x00".join(keys).encode()).hexdigest()


def report_unknown(sample: Sample) -> Ticket:
    open_key = _key_set(sample)
    for _ in range(3):
        now = utcnow()
        counted = db.session.execute(
            update(Ticket)
            .where(Ticket.open_key == open_key)
            .values(repeats=Ticket.repeats + 1, last_seen_at=now)
        ).rowcount
        db.session.commit()
        ticket = db.session.scalars(select(Ticket).where(Ticket.open_key == open_key)).first()
        if counted and ticket is not None:
            return ticket
        ticket = Ticket(
            url=redact(sample.url)[:4000],  # a pasted live URL may carry its source's token
            keys=list(sample.keys),
            open_key=open_key,
            last_seen_at=now,
        )
        db.session.add(ticket)
        try:
            db.session.commit()
            log.info("support ticket %d opened for an unknown postback shape", ticket.id)
            return ticket
        except IntegrityError:
            db.session.rollback()  # another request opened it first: count a repeat
    raise Conflict("could not record the support ticket; try again")


def list_tickets(state: str | None = None) -> list[Ticket]:
    query = select(Ticket).order_by(Ticket.last_seen_at.desc(), Ticket.id.desc())
    if state:
        query = query.where(Ticket.state == state)
    return list(db.session.scalars(query))


def get_ticket(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id) if 0 < ticket_id <= MAX_INTEGER else None
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id}")
    return ticket


def resolve_ticket(ticket: Ticket) -> Ticket:
    if ticket.state != "resolved":
        ticket.state = "resolved"
        ticket.open_key = None
        ticket.resolved_at = utcnow()
        db.session.commit()
    return ticket


def draft_signature(ticket: Ticket) -> dict[str, Any]:
    """A pre-filled admin signature from a ticket's URL: the generic reader's map, which
    the admin checks and saves."""
    sample = parse_sample(ticket.url)
    suggested = read(sample).field_map
    host = sample.url.split("//", 1)[-1].split("/", 1)[0].split(".")
    return {
        "id": f"ticket_{ticket.id}",
        "name": host[-2].capitalize() if len(host) >= 2 else f"Ticket {ticket.id}",
        "click_id_params": [suggested["click_id"]] if "click_id" in suggested else [],
        "event_param": suggested.get("event_type"),
        "amount_param": suggested.get("payout_amount"),
        "currency_param": suggested.get("payout_currency"),
        "field_map": suggested,
        "event_map": {},
    }


# -- sources from a detection -------------------------------------------------------------


GENERIC = "generic"


def source_fields_from(
    detection: Detection,
    signature_id: str | None,
    confirmed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The maps a new source gets from a detection, with the field and event maps as the
    operator confirmed or corrected them (``confirmed``), field by field."""
    confirmed = confirmed or {}
    found = detected_maps(detection, signature_id)
    field_map = {**found["field_map"], **(confirmed.get("field_map") or {})}
    if not any(field_map.values()):
        raise Invalid(
            "nothing in this URL says what it carries, so there is no map to create the "
            "source with; capture a test postback or map the fields by hand",
            {"url": ["has no parameter the hub could read; map its fields by hand"]},
        )
    found["field_map"] = {name: field_map.get(name) or "" for name in MAPPABLE_FIELDS}
    found["event_map"] = {**found["event_map"], **(confirmed.get("event_map") or {})}
    return found


def detected_maps(detection: Detection, signature_id: str | None) -> dict[str, Any]:
    """A candidate's maps, or for an unknown network the generic reader's, every mappable
    field named, so a default parameter name cannot silently read a field the network
    uses otherwise."""
    if detection.outcome == "unknown":
        if signature_id not in (None, GENERIC):
            raise Invalid(
                f"“{signature_id}” is not a candidate for this URL: no signature fits it",
                {"signature_id": ["must be left out: no signature fits this URL"]},
            )
        platform, field_map, status_map = None, detection.reading.field_map, {}
        event_map = {k: v for k, v in detection.reading.event_map.items() if v != "unknown"}
    else:
        chosen = _chosen(detection, signature_id)
        # One of several networks that read the URL alike: the one the operator named.
        platform, field_map = signature_id or chosen.signature.id, chosen.field_map
        event_map, status_map = dict(chosen.event_map), dict(chosen.signature.status_map)
    return {
        "platform": platform,
        "field_map": {name: field_map.get(name, "") for name in MAPPABLE_FIELDS},
        "event_map": event_map,
        "status_map": status_map,
    }


def _chosen(detection: Detection, signature_id: str | None) -> Candidate:
    if signature_id is not None:
        chosen = next(
            (
                c
                for c in detection.candidates
                if signature_id in (c.signature.id, *(s.id for s in c.agreeing))
            ),
            None,
        )
        if chosen is None:
            ids = [c.signature.id for c in detection.candidates]
            raise Invalid(
                f"“{signature_id}” is not a candidate for this URL",
                {"signature_id": [f"must be one of the candidates: {or_list(ids)}"]},
            )
        return chosen
    if detection.outcome == "ambiguous" and len(detection.candidates) > 1:
        names = ", ".join(c.signature.id for c in detection.candidates)
        raise Invalid(
            f"this URL fits several networks ({names}); say which with signature_id",
            {"signature_id": [f"is required when several networks fit; use one of {names}"]},
        )
    assert detection.best is not None
    return detection.best


def previews(detection: Detection) -> dict[str, dict[str, Any]]:
    """What a source would get from each candidate (or, for an unknown network, from the
    generic reader), keyed by signature id, so a wizard shows the maps before saving."""
    if detection.outcome == "unknown":
        return {GENERIC: detected_maps(detection, GENERIC)}
    return {c.signature.id: detected_maps(detection, c.signature.id) for c in detection.candidates}


def detection_answer(detection: Detection, ticket: Ticket | None) -> dict[str, Any]:
    """What the API and the CLI say about a detection."""
    return {
        **detection.to_dict(),
        "ticket_id": ticket.id if ticket else None,
        "previews": previews(detection),
    }


def create_source_from_detection(
    url: str,
    signature_id: str | None,
    fields: Mapping[str, Any],
    registry: SignatureRegistry,
    keyring: Keyring,
    base_url: str,
    *,
    sample_postback: str | None = None,
    confirmed: Mapping[str, Any] | None = None,
) -> tuple[Any, Any, Detection]:
    """Create a source from ``fields`` (name, offer URL, ...) plus the detected maps, as
    the operator confirmed them."""
    detection = detect(url, registry.all(), sample_postback)
    detected = source_fields_from(detection, signature_id, confirmed)
    source, urls = source_service.create_source({**fields, **detected}, keyring, base_url)
    return source, urls, detection
