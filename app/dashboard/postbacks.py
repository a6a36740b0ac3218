"""``/postbacks``: the live card, the conversions table and its drawer, the sources list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, g, render_template, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy.exc import DBAPIError

from app.auth.session import has_role, login_required
from app.core.countries import country_names, is_country_code
from app.core.vocabulary import ATTRIBUTIONS, DEFAULT_FIELD_MAP, EVENTS, MAPPABLE_FIELDS
from app.dashboard import bp, charts
from app.extensions import db
from app.models.types import utcnow
from app.runtime import signature_registry
from app.services import conversions, keitaro_catalogue, signatures, sources, stats, timeline
from app.services.errors import Invalid, NotFound

PAGE_SIZE = 50
#: Seconds between refreshes of the live card while its tab is visible.
REFRESH_SECONDS = 45
#: The page only reads: any database error (down, damaged, behind the code) means no figures.
DATABASE_ERRORS = (DBAPIError,)


class PostbacksQuery(Schema):
    """What the page's URL may say: window, the two filters and the page cursor."""

    class Meta:
        unknown = EXCLUDE

    window = fields.String(load_default="24h", validate=validate.OneOf(tuple(stats.WINDOWS)))
    attribution = fields.String(validate=validate.OneOf(ATTRIBUTIONS))
    event = fields.String(validate=validate.OneOf(EVENTS))
    country = fields.String(validate=is_country_code)
    cursor = fields.String(validate=validate.Length(max=200))


def page_query(args: Any) -> tuple[dict[str, Any], str | None]:
    """The valid part of the URL's query, and a notice naming what was ignored."""
    try:
        return PostbacksQuery().load(args), None
    except ValidationError as exc:
        bad = sorted(exc.messages) if isinstance(exc.messages, dict) else []
        kept = {key: value for key, value in args.items() if key not in bad}
        return PostbacksQuery().load(kept), f"Ignored an invalid {', '.join(bad)} in the address."


@bp.get("/postbacks")
@login_required()
def postbacks():  # type: ignore[no-untyped-def]
    query, notice = page_query(request.args)
    context: dict[str, Any] = {
        **_card(query),
        "notice": notice,
        "mappable_fields": MAPPABLE_FIELDS,
        "default_field_map": DEFAULT_FIELD_MAP,
        "attributions": ATTRIBUTIONS,
        "countries": country_names(),
        "stats": None,
        "pictures": None,
        "page": None,
        "sources": [],
        "activity": {},
        "signatures": [],
        "tickets": [],
        "database_down": bool(g.get("database_down")),
    }
    if not context["database_down"]:
        try:
            context.update(_page_data(query))
        except Invalid:
            context["notice"] = "That page link has expired; showing the newest conversions."
            context.update(_page_data({**query, "cursor": None}))
        except DATABASE_ERRORS as exc:
            db.session.rollback()
            current_app.logger.error("dashboard: the database is unavailable: %s", exc)
            context["database_down"] = True
    return render_template("dashboard/postbacks.html", **context)


def _page_data(query: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    filters = {
        "attribution": query.get("attribution"),
        "event_type": query.get("event"),
        "country": query.get("country"),
        "cursor": query.get("cursor"),
    }
    data: dict[str, Any] = {
        **_figures(query["window"], now),
        "page": conversions.list_conversions(filters, limit=PAGE_SIZE),
        "sources": sources.list_sources(),
        "activity": sources.activity(datetime(now.year, now.month, now.day, tzinfo=UTC)),
        "refreshed_at": now,
    }
    if has_role(g.user, "admin"):
        data["signatures"] = signatures.described(signature_registry())
        data["tickets"] = signatures.list_tickets("open")
    return data


@bp.get("/postbacks/live")
@login_required()
def live_card():  # type: ignore[no-untyped-def]
    """The live card alone, for the page's refresh."""
    query, _ = page_query(request.args)
    figures: dict[str, Any] = {"stats": None, "pictures": None, "top_countries": None}
    if not g.get("database_down"):
        try:
            figures = _figures(query["window"], utcnow())
        except DATABASE_ERRORS:
            db.session.rollback()
    page = render_template("dashboard/_live_card.html", **figures, **_card(query))
    return page, 503 if figures["stats"] is None else 200


def _figures(window: str, now: datetime) -> dict[str, Any]:
    """The card's figures, its pictures and its top countries, all as of ``now``, so they
    agree; the countries come from the same reading as the figures, so they add up."""
    figures = stats.compute(window, now=now, group_by="country")
    return {
        "stats": figures,
        "pictures": charts.live(timeline.read(window, now=now)),
        "top_countries": charts.top_countries(figures.groups or []),
    }


def _card(query: dict[str, Any]) -> dict[str, Any]:
    return {
        "query": query,
        "windows": tuple(stats.WINDOWS),
        "events": EVENTS,
        "refreshed_at": utcnow(),
        "refresh_seconds": REFRESH_SECONDS,
    }


@bp.get("/postbacks/conversions/<bigid:conversion_id>")
@login_required()
def conversion_drawer(conversion_id: int):  # type: ignore[no-untyped-def]
    """One conversion in full, for the details drawer."""
    try:
        conversion = conversions.get_conversion(conversion_id)
    except NotFound:
        abort(404, f"No conversion {conversion_id}.")
    tracker = keitaro_catalogue.click_labels([conversion.click_id]).get(conversion.click_id)
    return render_template("dashboard/_conversion.html", c=conversion, tracker=tracker)
