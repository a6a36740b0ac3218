"""Every Admin API operation is reachable from ``pbhub keitaro RESOURCE OPERATION``.

Each CLI command is run once against the fake tracker with plausible arguments; the
requests the tracker saw must cover every operation of the client's table.
"""

import json
import re

import pytest

from app.cli.keitaro_api import COMMANDS
from app.keitaro.operations import OPERATIONS

COSTS = {
    "start_date": "2026-11-01",
    "end_date": "2026-11-02",
    "timezone": "UTC",
    "cost": "1",
    "currency": "USD",
}
BODIES = {
    ("campaign", "create"): {"alias": "new", "name": "New"},
    ("campaign", "update-costs"): COSTS,
    ("stream", "create"): {
        "campaign_id": 1,
        "schema": "landings",
        "type": "regular",
        "name": "F",
        "action_type": "http",
    },
    ("filter", "update"): [],
    ("group", "create"): {"name": "G", "type": "offers"},
    ("domain", "create"): {"name": "d.example", "is_ssl": True},
    ("user", "create"): {
        "login": "u",
        "type": "USER",
        "new_password": "p",
        "new_password_confirmation": "p",
    },
    ("user", "access"): {"access_data": {}},
    ("click", "update-costs"): {"campaign_ids": [1], "costs": [COSTS]},
    ("click", "clean"): {"start_date": "2026-11-01", "end_date": "2026-11-02"},
    ("statistics", "update-labels"): {"campaign_id": 1, "ref_name": "sub_id_1", "items": {}},
    ("postback", "create"): {"url": "https://n.example/pb", "method": "GET"},
    ("postback", "update"): {"url": "https://n.example/pb2"},
}
VALUES = {
    "id": "1",
    "campaign-id": "1",
    "path": "a.html",
    "content": "x",
    "query": "q",
    "value": "1.2.3.4",
    "log-type": "system",
    "avscan-key": "k",
    "imklo-url": "https://i.example",
    "target-campaign": "1",
    "label-name": "good",
    "ref-name": "sub_id_1",
}
FLAGS = {name: f"--{name}" for name in VALUES}
FLAGS.update({"log-type": "--type", "avscan-key": "--key", "imklo-url": "--url"})


def _args(command, tmp_path):
    args = ["keitaro", command.resource, command.name]
    for option in command.options:
        if option in VALUES:
            args += [FLAGS[option], VALUES[option]]
        elif (
            option == "data"
            and command.name not in ("get-all", "build")
            and "value" not in command.options
        ):
            body = BODIES.get((command.resource, command.name), {"name": "X"})
            args += ["--data", json.dumps(body)]
        elif option == "output":
            args += ["--output", str(tmp_path / "files.zip")]
    return args


def _template(path):
    return re.compile("^/admin_api/v1/" + re.sub(r"\{\w+\}", r"[^/]+", path) + "$")


@pytest.fixture
def seeded(fake_keitaro, keitaro_connection):
    fake_keitaro.campaigns[1] = {
        "id": 1,
        "alias": "a",
        "name": "A",
        "postbacks": [{"id": 1, "url": "https://n.example/pb"}],
    }
    fake_keitaro.streams[1] = {"id": 1, "name": "F", "filters": []}
    return keitaro_connection()


def test_every_operation_is_reachable_from_the_cli(runner, fake_keitaro, seeded, tmp_path):
    failed = []
    for command in COMMANDS:
        result = runner.invoke(args=_args(command, tmp_path), input="")
        if result.exit_code != 0:
            failed.append((command.resource, command.name, result.output[-300:]))
    assert failed == []
    seen = {(r.method, r.path) for r in fake_keitaro.requests}
    unreached = [
        op.key
        for op in OPERATIONS
        if not any(m == op.method and _template(op.path).match(p) for m, p in seen)
    ]
    assert unreached == []
