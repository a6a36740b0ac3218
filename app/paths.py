"""Where the hub finds its migrations and keeps its data: in a checkout, and installed.

A checkout keeps everything beside the code (``migrations/``, ``instance/``), as ``make
run`` expects. An installed hub (``pipx install``, a wheel) has no checkout: its
migrations are installed as data under ``<prefix>/share/postback-hub``, and its data
(the SQLite file, the generated ``SECRET_KEY``) goes to a directory of the user's own, so
that reinstalling the package never deletes it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
INSTALLED_MIGRATIONS = Path("share") / "postback-hub" / "migrations"


def from_checkout() -> bool:
    return (CHECKOUT / "migrations" / "env.py").is_file()


def migrations_dir() -> Path:
    if from_checkout():
        return CHECKOUT / "migrations"
    return Path(sys.prefix) / INSTALLED_MIGRATIONS


def data_dir(env: Mapping[str, str]) -> str | None:
    """``PBHUB_DATA_DIR`` when set; in a checkout, None (Flask's ``instance/`` beside the
    code); installed, ``$XDG_DATA_HOME/postback-hub`` (``~/.local/share/postback-hub``)."""
    if env.get("PBHUB_DATA_DIR", "").strip():
        return str(Path(env["PBHUB_DATA_DIR"].strip()).expanduser().resolve())
    if from_checkout():
        return None
    base = env.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return str(Path(base) / "postback-hub")
