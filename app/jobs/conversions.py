"""Work that follows a stored conversion."""

from __future__ import annotations

import logging

from app.extensions import db
from app.models import Conversion

log = logging.getLogger(__name__)


def conversion_recorded(conversion_id: int, kind: str) -> None:
    """Runs once per accepted conversion and per status change.

    The hook where deliveries and the Keitaro forwarding attach; for now it confirms the
    conversion is readable by the worker and records that it saw it.
    """
    conversion = db.session.get(Conversion, conversion_id)
    if conversion is None:
        log.warning("conversion %s vanished before its follow-up job ran", conversion_id)
        return
    log.info(
        "conversion %s %s: %s %s (%s)",
        conversion.id,
        kind,
        conversion.event_type,
        conversion.status,
        conversion.attribution,
    )
    db.session.remove()
