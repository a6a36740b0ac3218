"""``/outbound``: outbound postbacks, their deliveries and every attempt.

Reading is server-rendered here; creating, editing, testing, rotating and replaying go
through the JSON API from the page's script, like any other client.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from app.api.schemas import OUTBOUND_ATTRIBUTIONS
from app.auth.session import login_required
from app.core.vocabulary import EVENTS, STATUSES
from app.dashboard import bp
from app.services import outbound as service
from app.services import sources
from app.services.errors import NotFound

DELIVERY_STATES = ("pending", "retrying", "delivered", "failed", "dead")
DELIVERIES_SHOWN = 100


def _form_context() -> dict[str, Any]:
    """What the outbound postback form offers to choose from."""
    return {
        "events": EVENTS,
        "statuses": STATUSES,
        "outbound_attributions": OUTBOUND_ATTRIBUTIONS,
        "all_sources": sources.list_sources(),
    }


@bp.get("/outbound")
@login_required()
def outbound():  # type: ignore[no-untyped-def]
    return render_template(
        "dashboard/outbound.html",
        postbacks=service.list_outbound(),
        counts=service.delivery_counts(),
        delivery_states=DELIVERY_STATES,
        **_form_context(),
    )


@bp.get("/outbound/<id:postback_id>")
@login_required()
def outbound_detail(postback_id: int):  # type: ignore[no-untyped-def]
    try:
        row = service.get_outbound(postback_id)
    except NotFound:
        abort(404, f"No outbound postback {postback_id}.")
    state = request.args.get("state")
    if state not in DELIVERY_STATES:
        state = None
    return render_template(
        "dashboard/outbound_detail.html",
        postback=row,
        deliveries=service.list_deliveries(row, state, DELIVERIES_SHOWN),
        counts=service.delivery_counts(row.id).get(row.id, {}),
        state=state,
        delivery_states=DELIVERY_STATES,
        source_names={s.id: s.name for s in sources.list_sources()},
        **_form_context(),
    )
