"""What identifies a release: one version, shown everywhere, a licence and a changelog."""

import configparser
import re
from pathlib import Path

from click.testing import CliRunner

from app.cli import main
from app.version import VERSION

ROOT = Path(__file__).parents[1]


def test_the_version_is_written_in_one_place_that_setup_cfg_reads():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["metadata"]["version"] == "attr: app.version.VERSION"
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", VERSION)


def test_pbhub_version_prints_it_and_exits_zero():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"pbhub (Postback Hub) {VERSION}\n"


def test_healthz_and_the_root_name_the_version(client):
    assert client.get("/healthz").get_json()["version"] == VERSION
    answer = client.get("/", headers={"Accept": "application/json"})
    assert answer.get_json()["version"] == VERSION


def test_every_page_shows_the_version_in_its_footer(client):
    page = client.get("/login").get_data(as_text=True)
    footer = page.split('<footer class="site-footer">', 1)[1].split("</footer>", 1)[0]
    assert f"<span>Postback Hub {VERSION}</span>" in footer


def test_the_licence_is_the_one_setup_cfg_declares():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["metadata"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")


def test_the_changelog_opens_with_this_versions_section_and_dates_every_release():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    sections = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", changelog, re.M)
    assert sections[0][0] == ("Unreleased" if ".dev" in VERSION else VERSION)
    released = [(name, date) for name, date in sections if name != "Unreleased"]
    assert released and all(date for _, date in released)
