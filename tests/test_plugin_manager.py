"""The plugin manager: built-ins, pip-installed packages, admin signatures, safety."""

import sys
from pathlib import Path

import pytest

from plugins import Signature, hookimpl, hookspecs
from plugins.manager import DuplicateSignature, build_manager, collect

EXAMPLE_PACKAGE = Path(__file__).parent / "example_plugin"


@pytest.fixture
def installed_example(monkeypatch):
    """The example package as pip would have installed it (module plus dist-info)."""
    monkeypatch.syspath_prepend(str(EXAMPLE_PACKAGE))
    yield
    sys.modules.pop("pbhub_example", None)


def ids(manager):
    return {s.id for s in collect(manager)}


def test_every_module_of_signatures_is_registered_as_a_plugin():
    manager = build_manager(entry_points=False)
    assert "builtin:cake" in {manager.get_name(p) for p in manager.get_plugins()}
    assert {"cake", "affise", "keitaro"} <= ids(manager)


def test_a_pip_installed_package_is_loaded_from_its_entry_point(installed_example):
    assert "example_network" in ids(build_manager())


def test_a_blocked_plugin_is_left_out(installed_example):
    manager = build_manager(blocked=["example_network", "builtin:cake"])
    assert not {"example_network", "cake"} & ids(manager)


def test_admin_signatures_are_read_through_the_same_hook_on_every_call():
    written = []
    manager = build_manager(entry_points=False, admin_signatures=lambda: list(written))
    assert "mine" not in ids(manager)
    written.append(Signature(id="mine", name="Mine", params={"click_id": ("m",)}, origin="admin"))
    assert "mine" in ids(manager)


def test_two_plugins_claiming_one_id_fail_loudly():
    class Impostor:
        @hookimpl
        def pbhub_signatures(self):
            return [Signature(id="cake", name="Not CAKE")]

    manager = build_manager(entry_points=False)
    manager.register(Impostor(), name="impostor")
    with pytest.raises(DuplicateSignature, match="cake"):
        collect(manager)


def test_an_admin_signature_cannot_shadow_a_built_in_one():
    shadow = Signature(id="cake", name="Shadow", origin="admin")
    manager = build_manager(entry_points=False, admin_signatures=lambda: [shadow])
    assert next(s for s in collect(manager) if s.id == "cake").name == "CAKE"


def test_a_plugin_returning_something_else_is_refused():
    class Broken:
        @hookimpl
        def pbhub_signatures(self):
            return [{"id": "dict"}]

    manager = build_manager(entry_points=False)
    manager.register(Broken(), name="broken")
    with pytest.raises(TypeError, match="broken"):
        collect(manager)


def test_a_signature_with_an_unknown_field_or_event_is_refused_when_written():
    with pytest.raises(ValueError, match="fields"):
        Signature(id="x", name="X", macros={"clik_id": ("c",)})
    with pytest.raises(ValueError, match="events"):
        Signature(id="x", name="X", event_map={"reg": "signup"})


def test_every_hook_is_documented_for_integrators():
    docs = (Path(__file__).parents[1] / "docs" / "signatures.md").read_text()
    hooks = [name for name in dir(hookspecs) if name.startswith("pbhub_")]
    assert hooks
    assert all(f"`{name}()`" in docs for name in hooks)
