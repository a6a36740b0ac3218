"""``/sources/<id>/remap``: re-map a source's stored postbacks with its current maps.

Preview is a dry run that lists what would change, old and new value side by side;
Apply writes it. Both show every transition, so a conversion that stops being matched is
seen before and after, not only counted away.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from app.auth.forms import errors_of
from app.auth.session import login_required
from app.core.vocabulary import ATTRIBUTIONS, EVENTS
from app.dashboard import bp
from app.models import Source
from app.queue import enqueue_follow_ups
from app.runtime import keyring
from app.services import reprocess as remapping
from app.services import sources
from app.services.errors import Conflict, NotFound

DEFAULT_DAYS = 7
MAX_DAYS = 3660
DAYS_ERROR = f"Last days must be a whole number from 1 to {MAX_DAYS}, such as 7."


class RemapForm(Schema):
    """The page's form; a blank filter means any. Each message names the field by its
    label and stands alone as a sentence."""

    class Meta:
        unknown = EXCLUDE

    days = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=MAX_DAYS, error=DAYS_ERROR),
        error_messages={"required": DAYS_ERROR, "invalid": DAYS_ERROR},
    )
    attribution = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ATTRIBUTIONS, error=f"Attribution must be any or one of {', '.join(ATTRIBUTIONS)}."
        ),
    )
    event = fields.String(
        load_default=None,
        validate=validate.OneOf(EVENTS, error=f"Event must be any or one of {', '.join(EVENTS)}."),
    )


def _source(source_id: int) -> Source:
    try:
        return sources.get_source(source_id)
    except NotFound:
        abort(404, f"No source {source_id}.")


def _page(source: Source, status: int = 200, **context: Any):  # type: ignore[no-untyped-def]
    context.setdefault("form", {"days": str(DEFAULT_DAYS)})
    context.setdefault("errors", {})
    context.setdefault("report", None)
    context.setdefault("conflict", None)
    page = render_template(
        "dashboard/remap.html",
        source=source,
        attributions=ATTRIBUTIONS,
        events=EVENTS,
        max_days=MAX_DAYS,
        **context,
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.get("/sources/<id:source_id>/remap")
@login_required("admin")
def remap(source_id: int):  # type: ignore[no-untyped-def]
    return _page(_source(source_id))


@bp.post("/sources/<id:source_id>/remap")
@login_required("admin")
def run_remap(source_id: int):  # type: ignore[no-untyped-def]
    """``action=preview`` (a dry run, also what a bare submit does) or ``action=apply``."""
    source = _source(source_id)
    form = request.form
    apply = form.get("action") == "apply"
    try:
        options = RemapForm().load({key: value for key, value in form.items() if value != ""})
    except ValidationError as exc:
        return _page(source, 422, form=form, errors=errors_of(exc))
    try:
        report = remapping.reprocess(
            source,
            token_key=keyring().click_token,
            attribution=options["attribution"],
            event_type=options["event"],
            dry_run=not apply,
            **remapping.window({"days": options["days"]}),
        )
    except Conflict as exc:
        return _page(source, 409, form=form, conflict=exc.message[0].upper() + exc.message[1:])
    if apply:
        enqueue_follow_ups(report.follow_ups)
        _flash_applied(source, report)
    return _page(source, form=form, report=report.as_dict())


def _flash_applied(source: Source, report: remapping.Report) -> None:
    if not report.changed:
        flash(
            f"Re-mapped {source.name}: none of the {report.examined} conversions changed.", "info"
        )
        return
    flash(
        f"Re-mapped {source.name}: {report.changed} of {report.examined} conversions changed "
        "and keep a history entry each.",
        "success",
    )
    demoted = report.no_longer_matched
    if demoted:
        flash(
            f"{demoted} of them {'is' if demoted == 1 else 'are'} no longer matched to a click. "
            f"If that is not what you meant, fix the field map of {source.name} and re-map again.",
            "warning",
        )
