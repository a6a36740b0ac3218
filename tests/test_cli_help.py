"""Every ``pbhub`` command explains itself: a one-line summary, and an example to copy.

The walk covers every group registered on the app's CLI except the database commands
(``db``, ``dev db``) and Flask's development server, shell and route list, which are
Flask's and Flask-Migrate's own.
"""

import inspect
import json
import re
import shlex
from collections.abc import Iterator

import click
import pytest

from app import create_app
from app.api.schemas import SourceInSchema
from app.cli.keitaro_api import COMMANDS, example

#: What click's help leaves for a line of text in an 80-column terminal.
SUMMARY_WIDTH = 76
SKIPPED_GROUPS = {"db"}
SKIPPED_COMMANDS = {"run", "shell", "routes"}


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """(command path, command) for every command and group under ``group``."""
    for name in sorted(group.commands):
        command = group.commands[name]
        if name in SKIPPED_GROUPS and isinstance(command, click.Group):
            continue
        if name in SKIPPED_COMMANDS and not isinstance(command, click.Group):
            continue
        yield " ".join((*path, name)), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


def registered() -> list[tuple[str, click.Command]]:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        return list(walk(app.cli))


EVERYTHING = registered()
COMMAND_PATHS = [(path, c) for path, c in EVERYTHING if not isinstance(c, click.Group)]
GROUP_PATHS = [(path, c) for path, c in EVERYTHING if isinstance(c, click.Group)]


#: Click's no-rewrap marker alone on the line before "Example:" or "Examples:".
EXAMPLE_BLOCK = re.compile(r"^\s*\x08\n\s*Examples?:\n", re.M)


def summary(command: click.Command) -> list[str]:
    """The help's first paragraph, line by line."""
    text = inspect.cleandoc(command.help or "")
    return text.split("\n\n", 1)[0].splitlines()


def assert_one_sentence(lines: list[str], path: str) -> None:
    assert lines, f"pbhub {path} has no help"
    assert len(lines) == 1, f"pbhub {path}: the summary runs over {len(lines)} lines: {lines}"
    first = lines[0].strip()
    assert first[0].isupper(), f"pbhub {path}: {first!r} does not start a sentence"
    assert first.endswith("."), f"pbhub {path}: {first!r} does not end a sentence"
    assert len(first.split()) >= 2, f"pbhub {path}: {first!r} is not a sentence"
    assert len(first) <= SUMMARY_WIDTH, f"pbhub {path}: {first!r} wraps in an 80-column terminal"


def test_the_walk_reaches_every_group():
    names = {path.split()[0] for path, _ in COMMAND_PATHS}
    assert {"users", "tokens", "sources", "outbound", "keitaro", "stats", "signatures"} <= names
    assert {"countries", "dev"} <= names
    assert len(COMMAND_PATHS) > 150


@pytest.mark.parametrize(("path", "command"), COMMAND_PATHS, ids=[p for p, _ in COMMAND_PATHS])
def test_every_command_has_a_summary_sentence_and_an_example_of_itself(path, command):
    assert_one_sentence(summary(command), path)
    help_text = command.help or ""
    assert "Example" in help_text, f"pbhub {path} shows no example"
    assert EXAMPLE_BLOCK.search(help_text), f"pbhub {path}: no \\b keeps the example as typed"
    block = help_text.split("Example", 1)[1]
    assert f"pbhub {path}" in block, f"pbhub {path}: the example runs another command"


@pytest.mark.parametrize(("path", "group"), GROUP_PATHS, ids=[p for p, _ in GROUP_PATHS])
def test_every_group_has_a_summary_sentence(path, group):
    assert_one_sentence(summary(group), path)


def test_every_option_says_what_it_is_for():
    silent = [
        f"pbhub {path} {param.opts[0]}"
        for path, command in COMMAND_PATHS
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert silent == []


MAP_EXAMPLE = re.compile(r"e\.g\. '(\{.*?\})'")


def test_sources_create_shows_an_example_of_each_map_of_its_own(runner):
    result = runner.invoke(args=["sources", "create", "--help"], terminal_width=100)
    assert result.exit_code == 0
    options = result.output.split("\nOptions:\n", 1)[1]
    shown = {}
    for option in ("--field-map", "--event-map", "--status-map"):
        section = options.split(f"  {option} ", 1)[1].split("\n  --", 1)[0]
        found = MAP_EXAMPLE.search(section)
        assert found, f"{option} shows no example"
        shown[option] = json.loads(found.group(1))
    assert shown == {
        "--field-map": {"click_id": "sub1", "payout_amount": "payout"},
        "--event-map": {"reg": "registration", "dep": "ftd"},
        "--status-map": {"1": "approved", "0": "pending", "-1": "rejected"},
    }
    maps = {option[2:].replace("-", "_"): value for option, value in shown.items()}
    SourceInSchema().load({"name": "Affise", **maps})


def test_every_generated_keitaro_example_runs_as_typed(
    runner, fake_keitaro, keitaro_connection, tmp_path, monkeypatch
):
    monkeypatch.delenv("PBHUB_KEITARO_CONNECTION", raising=False)
    monkeypatch.chdir(tmp_path)
    keitaro_connection()
    fake_keitaro.campaigns[12] = {
        "id": 12,
        "alias": "autumn",
        "name": "Autumn",
        "postbacks": [{"id": 3, "url": "https://network.example.com/pb?cid={subid}"}],
    }
    fake_keitaro.streams[12] = {"id": 12, "name": "Main flow", "filters": []}
    failed = []
    for command in COMMANDS:
        words = shlex.split(example(command))
        assert words[:4] == ["pbhub", "keitaro", command.resource, command.name]
        result = runner.invoke(args=words[1:], input="")
        if result.exit_code != 0:
            failed.append((example(command), result.output[-300:]))
    assert failed == []
