"""Every hook a plugin may implement. Each one is documented in ``docs/signatures.md``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from plugins.markers import hookspec

if TYPE_CHECKING:
    from plugins.signature import Signature


@hookspec
def pbhub_signatures() -> list[Signature]:
    """The network signatures this plugin contributes (usually one)."""
