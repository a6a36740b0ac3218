"""Work that follows a stored conversion."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def conversion_recorded(conversion_id: int, kind: str) -> None:
    """Runs once per accepted conversion (``kind='accepted'``) and per status change.

    The hook where deliveries and the Keitaro forwarding attach. It deliberately does no
    work yet: it runs for every conversion, so anything added here is paid on every
    postback (in the web process itself when no Redis is configured).
    """
    log.debug("follow-up hook ran for conversion %s (%s)", conversion_id, kind)
