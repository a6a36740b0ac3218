"""What ``pbhub`` offers an operator: the hub's own commands, and the database's two."""

import re

import pytest
from click.testing import CliRunner

from app import create_app
from app.cli import main
from app.extensions import db

HUB_GROUPS = [
    "backup",
    "countries",
    "db",
    "deploy",
    "dev",
    "doctor",
    "keitaro",
    "outbound",
    "restore",
    "serve",
    "signatures",
    "sources",
    "stats",
    "tokens",
    "users",
    "worker",
]


@pytest.fixture
def pbhub(tmp_path):
    """``pbhub ARGS`` as typed, on a database of its own."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "SECRET_KEY": "k" * 40}

    def run(*args):
        return CliRunner(env=env).invoke(main, list(args))

    return run


def commands_listed(help_text):
    listing = help_text.split("Commands:", 1)[1]
    return re.findall(r"^  (\S+)", listing, re.M)


def test_the_top_level_help_lists_only_the_hubs_own_groups(pbhub):
    result = pbhub("--help")
    assert result.exit_code == 0
    assert commands_listed(result.output) == HUB_GROUPS


def test_flasks_development_options_are_not_offered(pbhub):
    help_text = pbhub("--help").output
    for option in ("--app", "--debug", "--env-file", "python-dotenv"):
        assert option not in help_text
    assert pbhub("--app", "wsgi", "users", "list").exit_code == 2


def test_the_database_group_offers_upgrade_and_current_only(pbhub):
    assert commands_listed(pbhub("db", "--help").output) == ["current", "upgrade"]


def test_writing_migrations_and_the_development_server_are_under_dev(pbhub):
    assert {"db", "run", "shell", "routes", "seed"} <= set(
        commands_listed(pbhub("dev", "--help").output)
    )
    assert {"migrate", "downgrade", "stamp"} <= set(
        commands_listed(pbhub("dev", "db", "--help").output)
    )


def database_command(url, *args):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.engine.dispose()
    return result


def test_db_current_on_an_empty_database_says_to_upgrade_and_exits_1(fresh_database):
    result = database_command(fresh_database, "db", "current")
    assert result.exit_code == 1
    assert result.output.startswith("database at revision none (empty); this version needs ")
    assert result.output.endswith(": run pbhub db upgrade\n")


def test_db_upgrade_says_what_it_did_and_then_that_nothing_is_left(fresh_database):
    first = database_command(fresh_database, "db", "upgrade")
    assert first.exit_code == 0
    assert re.search(
        r"^database upgraded from revision none \(empty\) to \d{4}$", first.output, re.M
    )
    again = database_command(fresh_database, "db", "upgrade")
    assert again.output.endswith("the newest: nothing to do\n")
    current = database_command(fresh_database, "db", "current")
    assert (current.exit_code, current.output.endswith("the newest: up to date\n")) == (0, True)
