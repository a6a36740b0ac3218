"""systemd units for the hub's two processes, written for one install.

The files under ``deploy/systemd`` and the units docs/deploy.md shows are these, rendered
for the documented layout (``DOCUMENTED``); ``pbhub deploy systemd`` renders them for the
install it runs from. One template, so the three never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

WEB_UNIT = "pbhub-web.service"
WORKER_UNIT = "pbhub-worker@.service"

_SERVICE = """\
[Unit]
Description={description}
After=network.target postgresql.service redis-server.service

[Service]
User={user}
WorkingDirectory={working_directory}
EnvironmentFile={env_file}
ExecStart={pbhub} {command}
Restart=always
KillSignal=SIGTERM
KillMode=control-group
TimeoutStopSec={stop_seconds}
NoNewPrivileges=true
PrivateTmp=true
ProtectSystem=full

[Install]
WantedBy=multi-user.target
"""


@dataclass(frozen=True)
class Install:
    """Where the hub is installed and who runs it."""

    #: The ``pbhub`` executable, absolute: systemd runs no shell and has no PATH of yours.
    pbhub: str
    user: str
    env_file: str
    working_directory: str


#: The layout docs/deploy.md sets up: a checkout in /opt/pbhub/app with its virtualenv.
DOCUMENTED = Install(
    pbhub="/opt/pbhub/app/.venv/bin/pbhub",
    user="pbhub",
    env_file="/etc/pbhub.env",
    working_directory="/opt/pbhub/app",
)


def render(install: Install) -> dict[str, str]:
    """The units by file name. The worker is a template unit: ``pbhub-worker@1``,
    ``pbhub-worker@2``... are as many workers."""
    common = {
        "user": install.user,
        "working_directory": install.working_directory,
        "env_file": install.env_file,
        "pbhub": install.pbhub,
    }
    return {
        WEB_UNIT: _SERVICE.format(
            description="Postback Hub web", command="serve", stop_seconds=30, **common
        ),
        WORKER_UNIT: _SERVICE.format(
            description="Postback Hub worker %i", command="worker", stop_seconds=60, **common
        ),
    }
