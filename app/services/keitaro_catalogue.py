"""Keitaro's catalogue in the hub: campaigns, offers, affiliate networks and traffic
sources, cached by name to label clicks and conversions, and to place an imported click's
offer in its affiliate network."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from app.extensions import conflict_insert, db
from app.keitaro.client import Keitaro
from app.keitaro.pages import positive_id
from app.models import Click, KeitaroConnection, KeitaroObject

METADATA_KINDS = {
    "campaign": ("campaigns", ("traffic_source_id", "group_id")),
    "offer": ("offers", ("affiliate_network_id", "group_id")),
    "affiliate_network": ("affiliate_networks", ()),
    "traffic_source": ("traffic_sources", ()),
}


def refresh_metadata(row: KeitaroConnection, client: Keitaro, now: datetime) -> dict[str, int]:
    """Bring the cached campaigns, offers, networks and traffic sources in line with the
    tracker: upserted, and those it no longer has removed. Two refreshes running at once
    (two workers, or the API's "sync now" beside the schedule) both succeed."""
    try:
        fetched = {
            kind: getattr(client, attr).list() or [] for kind, (attr, _) in METADATA_KINDS.items()
        }
    except Exception as exc:
        db.session.rollback()
        row.metadata_last_error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise
    counts: dict[str, int] = {}
    for kind, items in fetched.items():
        objects = _objects(row.id, kind, items, now)
        if objects:
            db.session.execute(_object_upsert(), objects)
        db.session.execute(
            delete(KeitaroObject).where(
                KeitaroObject.connection_id == row.id,
                KeitaroObject.kind == kind,
                KeitaroObject.object_id.notin_([o["object_id"] for o in objects]),
            )
        )
        counts[kind] = len(objects)
    row.metadata_refreshed_at = now
    row.metadata_last_error = None
    db.session.commit()
    return counts


def _objects(
    connection_id: int, kind: str, items: list[Any], now: datetime
) -> list[dict[str, Any]]:
    links = METADATA_KINDS[kind][1]
    objects: dict[int, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        try:
            object_id = positive_id(item.get("id"))
            linked = {k: positive_id(item.get(k)) for k in links}
        except ValueError:
            continue
        if object_id is None:
            continue
        objects[object_id] = {
            "connection_id": connection_id,
            "kind": kind,
            "object_id": object_id,
            "name": str(item.get("name") or "")[:255],
            "state": str(item["state"])[:32] if item.get("state") else None,
            "links": {k: v for k, v in linked.items() if v},
            "refreshed_at": now,
        }
    return list(objects.values())


def _object_upsert() -> Any:
    statement = conflict_insert(KeitaroObject.__table__)
    return statement.on_conflict_do_update(
        index_elements=["connection_id", "kind", "object_id"],
        set_={
            name: statement.excluded[name] for name in ("name", "state", "links", "refreshed_at")
        },
    )


def offer_networks(connection_id: int) -> dict[int, int]:
    """Offer id -> affiliate network id, from the cache."""
    rows = db.session.execute(
        select(KeitaroObject.object_id, KeitaroObject.links).where(
            KeitaroObject.connection_id == connection_id, KeitaroObject.kind == "offer"
        )
    )
    return {
        object_id: links["affiliate_network_id"]
        for object_id, links in rows
        if links and links.get("affiliate_network_id")
    }


def labels(connection_id: int) -> dict[tuple[str, int], str]:
    """(kind, id) -> name, to label clicks and conversions."""
    rows = db.session.execute(
        select(KeitaroObject.kind, KeitaroObject.object_id, KeitaroObject.name).where(
            KeitaroObject.connection_id == connection_id
        )
    )
    return {(kind, object_id): name for kind, object_id, name in rows}


def click_labels(click_ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """Keitaro's names for the clicks behind these conversions: click id -> campaign,
    offer, traffic source (named from the cache, else by id) and country."""
    wanted = sorted({c for c in click_ids if c})
    if not wanted:
        return {}
    clicks = db.session.execute(
        select(
            Click.click_id,
            Click.connection_id,
            Click.tracker_campaign_id,
            Click.tracker_offer_id,
            Click.tracker_traffic_source_id,
            Click.country,
        ).where(Click.click_id.in_(wanted), Click.connection_id.isnot(None))
    ).all()
    names: dict[tuple[int, str, int], str] = {}
    for connection_id in {row.connection_id for row in clicks}:
        for (kind, object_id), name in labels(connection_id).items():
            names[(connection_id, kind, object_id)] = name
    found: dict[str, dict[str, Any]] = {}
    for row in clicks:
        found[row.click_id] = {
            "campaign": _named(names, row.connection_id, "campaign", row.tracker_campaign_id),
            "offer": _named(names, row.connection_id, "offer", row.tracker_offer_id),
            "traffic_source": _named(
                names, row.connection_id, "traffic_source", row.tracker_traffic_source_id
            ),
            "country": row.country,
        }
    return found


def _named(
    names: dict[tuple[int, str, int], str], connection_id: int, kind: str, object_id: int | None
) -> str | None:
    if object_id is None:
        return None
    return names.get((connection_id, kind, object_id)) or f"#{object_id}"
