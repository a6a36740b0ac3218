"""The files that run the hub as a service: its systemd units and ``pbhub-admin``.

The files under ``deploy/`` and those docs/deploy.md shows are these, rendered for the
documented layout (``DOCUMENTED``); ``pbhub deploy systemd`` renders them for the install
it runs from. One template each, so the three never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

WEB_UNIT = "pbhub-web.service"
WORKER_UNIT = "pbhub-worker@.service"
ADMIN = "pbhub-admin"

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

#: ``sudo pbhub-admin ARGS``: the environment file is readable by root alone, so it is
#: read here, as root, and the command then runs as the services' user. ``runuser``
#: keeps the environment (``sudo -u`` would reset it); it lives in /usr/sbin, which
#: cron's PATH lacks.
_ADMIN = """\
#!/bin/sh
# pbhub as the hub's services run it: as {user}, with {env_file}.
# Run it as root, e.g. sudo pbhub-admin db upgrade. Written by pbhub deploy systemd.
set -e
if [ ! -r {env_file} ]; then
    echo "pbhub-admin: cannot read {env_file}: run it as root (sudo pbhub-admin ...)" >&2
    exit 1
fi
set -a
. {env_file}
set +a
PATH="$PATH:/usr/sbin:/sbin"
exec runuser -u {user} -- {pbhub} "$@"
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


def units(install: Install) -> dict[str, str]:
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


def admin_command(install: Install) -> str:
    return _ADMIN.format(user=install.user, env_file=install.env_file, pbhub=install.pbhub)
