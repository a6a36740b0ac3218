"""Configuration from the environment, validated at start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import config

ROOT = Path(__file__).resolve().parent.parent


def load(tmp_path, **env):
    return config.load(env, str(tmp_path))


def test_no_environment_means_sqlite_in_the_instance_folder_and_no_redis(tmp_path):
    settings = load(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'pbhub.sqlite3'}"
    assert settings["REDIS_URL"] is None
    assert settings["MAX_CONTENT_LENGTH"] == 64 * 1024


def test_a_secret_key_is_generated_once_and_kept(tmp_path):
    first = load(tmp_path)["SECRET_KEY"]
    assert len(first) >= 32
    assert load(tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_postgres_urls_get_the_psycopg_driver(tmp_path):
    uri = load(tmp_path, DATABASE_URL="postgres://u:p@db:5432/hub", SECRET_KEY="k" * 40)[
        "SQLALCHEMY_DATABASE_URI"
    ]
    assert uri == "postgresql+psycopg://u:p@db:5432/hub"


@pytest.mark.parametrize(
    ("env", "mentions"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"PBHUB_BASE_URL": "hub.example.com"}, "PBHUB_BASE_URL"),
        ({"PBHUB_BASE_URL": "https://hub.example.com/?a=1"}, "PBHUB_BASE_URL"),
        ({"PBHUB_MAX_BODY_BYTES": "lots"}, "PBHUB_MAX_BODY_BYTES"),
        ({"PBHUB_CLICK_FLUSH_SECONDS": "-1"}, "PBHUB_CLICK_FLUSH_SECONDS"),
        ({"PBHUB_LOG_LEVEL": "LOUD"}, "PBHUB_LOG_LEVEL"),
        ({"PBHUB_CLICK_RETENTION_DAYS": "7"}, "PBHUB_CLICK_RETENTION_DAYS"),
        ({"PBHUB_WRITE_TIMEOUT": "90"}, "PBHUB_WRITE_TIMEOUT"),
        ({"PBHUB_WRITE_TIMEOUT": "0"}, "PBHUB_WRITE_TIMEOUT"),
        ({"PBHUB_OUTBOUND_DEADLINE": "0.5"}, "PBHUB_OUTBOUND_DEADLINE"),
        ({"PBHUB_OUTBOUND_DEADLINE": "soon"}, "PBHUB_OUTBOUND_DEADLINE"),
        ({"PBHUB_COUNTRY_HEADER": "CF IPCountry"}, "PBHUB_COUNTRY_HEADER"),
        ({"PBHUB_COUNTRY_HEADER": "X-Country:"}, "PBHUB_COUNTRY_HEADER"),
        ({"DATABASE_URL": "postgresql://db/hub"}, "SECRET_KEY"),
    ],
)
def test_invalid_settings_fail_with_one_line_naming_the_variable(tmp_path, env, mentions):
    with pytest.raises(config.ConfigError) as caught:
        load(tmp_path, **env)
    assert mentions in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_web_entry_point_exits_with_the_one_line_explanation(tmp_path):
    env = {**os.environ, "DATABASE_URL": "mysql://nope/x", "SECRET_KEY": "k" * 40}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr


def test_a_stored_key_that_is_too_short_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("short")
    with pytest.raises(config.ConfigError):
        load(tmp_path)


def test_processes_starting_together_all_read_the_same_complete_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: load(tmp_path)["SECRET_KEY"], range(16)))
    assert len(keys) == 1 and len(keys.pop()) >= 32


def test_click_retention_defaults_to_90_days_and_0_keeps_clicks_forever(tmp_path):
    assert load(tmp_path)["PBHUB_CLICK_RETENTION_DAYS"] == 90
    assert load(tmp_path, PBHUB_CLICK_RETENTION_DAYS="0")["PBHUB_CLICK_RETENTION_DAYS"] == 0


def test_the_outbound_deadline_defaults_to_10_seconds_and_takes_fractions(tmp_path):
    assert load(tmp_path)["PBHUB_OUTBOUND_DEADLINE"] == 10.0
    assert load(tmp_path, PBHUB_OUTBOUND_DEADLINE="2.5")["PBHUB_OUTBOUND_DEADLINE"] == 2.5
