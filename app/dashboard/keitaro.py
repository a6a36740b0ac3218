"""``/keitaro``: tracker connections, their sync, forwarding and reconciliation.

Adding, testing, syncing, forwarding and removing go through the JSON API from the page's
script; the reconciliation report is rendered here, for a range kept in the address.
"""

from __future__ import annotations

from flask import abort, render_template, request
from marshmallow import ValidationError

from app.api.schemas import ReconcileQuerySchema
from app.auth.session import login_required
from app.dashboard import bp
from app.keitaro.errors import KeitaroError
from app.models.types import utcnow
from app.runtime import keitaro_settings, keyring
from app.services import keitaro as service
from app.services import keitaro_reconcile, keitaro_sync, sources
from app.services.errors import DomainError, NotFound

#: The ranges the reconciliation picker offers; any ``90m``/``48h``/``14d`` works too.
RANGES = ("1h", "24h", "7d", "30d")


@bp.get("/keitaro")
@login_required()
def keitaro():  # type: ignore[no-untyped-def]
    now = utcnow()
    rows = service.list_connections()
    return render_template(
        "dashboard/keitaro.html",
        connections=[
            (service.describe(row, keyring()), keitaro_sync.status(row, now)) for row in rows
        ],
        all_sources=sources.list_sources(),
        ranges=RANGES,
    )


@bp.get("/keitaro/<id:connection_id>/reconcile")
@login_required()
def keitaro_reconcile_page(connection_id: int):  # type: ignore[no-untyped-def]
    try:
        row = service.get_connection(str(connection_id))
    except NotFound:
        abort(404, f"No Keitaro connection {connection_id}.")
    context = {"connection": row, "ranges": RANGES, "report": None, "error": None}
    try:
        since = ReconcileQuerySchema().load({"since": request.args.get("since", "24h")})["since"]
    except ValidationError:
        context.update(
            since=request.args.get("since", ""), error="Give a range such as 90m, 24h or 7d."
        )
        return render_template("dashboard/keitaro_reconcile.html", **context), 422
    context["since"] = since
    try:
        client = service.client_for(row, keyring(), keitaro_settings())
        start, end = keitaro_reconcile.window(since, utcnow())
        context["report"] = keitaro_reconcile.reconcile(row, client, start, end).as_dict()
    except (KeitaroError, DomainError) as exc:
        context["error"] = f"Keitaro: {exc.message}"
        return render_template("dashboard/keitaro_reconcile.html", **context), 502
    return render_template("dashboard/keitaro_reconcile.html", **context)
