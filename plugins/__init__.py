"""The signature plugin system (pluggy): hook specifications, markers and the manager.

An integrator's plugin is a module with one hook::

    from plugins import Signature, hookimpl

    NETWORK = Signature(id="mynet", name="My Network", macros={"click_id": ("sub1",)})

    @hookimpl
    def pbhub_signatures():
        return [NETWORK]

See ``docs/signatures.md``.
"""

from plugins.markers import hookimpl, hookspec
from plugins.signature import Evidence, Signature

__all__ = ["Evidence", "Signature", "hookimpl", "hookspec"]
