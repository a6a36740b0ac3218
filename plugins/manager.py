"""Build the plugin manager and collect every signature it knows.

Three kinds of plugins, one hook: the modules of ``signatures/`` (built in), packages
installed with pip that declare the ``pbhub.signatures`` entry point, and the
signatures admins write in the dashboard (read from the database on demand, so a change
reaches every web and worker process without a restart).

``PBHUB_BLOCK_PLUGINS`` (comma-separated plugin names) keeps named plugins out, for
when an installed package misbehaves.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable, Iterable

import pluggy

import signatures as builtin_package
from plugins import hookspecs
from plugins.markers import PROJECT, hookimpl
from plugins.signature import Signature

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "pbhub.signatures"


class DuplicateSignature(ValueError):
    """Two plugins claim one signature id: detection could not tell which one is meant."""


class AdminSignatures:
    """The plugin that serves admin-written signatures through the same hook."""

    def __init__(self, load: Callable[[], list[Signature]]) -> None:
        self._load = load

    @hookimpl
    def pbhub_signatures(self) -> list[Signature]:
        return self._load()


def builtin_modules() -> list[object]:
    return [
        importlib.import_module(f"{builtin_package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(builtin_package.__path__)
        if not info.name.startswith("_")
    ]


def build_manager(
    *,
    admin_signatures: Callable[[], list[Signature]] | None = None,
    entry_points: bool = True,
    blocked: Iterable[str] = (),
) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in blocked:
        manager.set_blocked(name)
    for module in builtin_modules():
        manager.register(module, name=f"builtin:{module.__name__.rsplit('.', 1)[-1]}")
    if entry_points:
        loaded = manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        if loaded:
            log.info("loaded %d signature plugin(s) from installed packages", loaded)
    if admin_signatures is not None:
        manager.register(AdminSignatures(admin_signatures), name="admin")
    return manager


def collect(manager: pluggy.PluginManager) -> list[Signature]:
    """Every signature, built-ins and plugins first; two plugins claiming one id is an
    error at start-up, while an admin signature reusing an id is skipped with a warning
    (the admin API refuses such ids, so only a race could produce one)."""
    by_id: dict[str, Signature] = {}
    for impl in manager.hook.pbhub_signatures.get_hookimpls():
        plugin_name = manager.get_name(impl.plugin) or "?"
        for signature in impl.function() or []:
            if not isinstance(signature, Signature):
                raise TypeError(f"plugin {plugin_name} returned {signature!r}, not a Signature")
            if signature.id in by_id:
                if isinstance(impl.plugin, AdminSignatures):
                    log.warning("admin signature %r shadows a plugin's; skipped", signature.id)
                    continue
                raise DuplicateSignature(
                    f"signature id {signature.id!r} is claimed twice (again by {plugin_name})"
                )
            by_id[signature.id] = signature
    return list(by_id.values())
