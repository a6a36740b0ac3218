"""The release files: a wheel and an sdist that install anywhere (``pipx install``) and
carry the templates, static files and migrations, and a hub installed from the wheel that
migrates and serves pages with no checkout in sight."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from app.version import VERSION

ROOT = Path(__file__).parents[1]
LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "instance", "build", "dist", "*.egg-info", ".ruff_cache"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel built from it, as ``python -m build`` makes them, from a
    copy of the checkout (building writes into its source tree)."""
    work = tmp_path_factory.mktemp("release")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    out = work / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel installed. Its dependencies come from this
    virtualenv through a ``.pth`` line, so no index is needed; the hub itself comes from
    the wheel only."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(dist.glob("*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    return venv


def run_installed(venv: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    """A command of the installed hub, from an empty directory, with a bare environment."""
    return subprocess.run(
        [*args],
        cwd=home,
        env={"HOME": str(home), "PATH": f"{venv / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_wheel_carries_templates_static_files_signatures_and_migrations(dist):
    names = zipfile.ZipFile(next(dist.glob("*.whl"))).namelist()
    data = f"postback_hub-{VERSION}.data/data/share/postback-hub/migrations"
    migrations = sorted(p.name for p in (ROOT / "migrations" / "versions").glob("*.py"))
    assert f"{data}/env.py" in names and f"{data}/alembic.ini" in names
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith(f"{data}/versions/")) == (
        migrations
    )
    assert "app/templates/base.html" in names
    assert any(n.startswith("app/static/") and n.endswith(".css") for n in names)
    for vendored in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"):
        assert f"app/static/vendor/swagger-ui/{vendored}" in names
    assert "signatures/adcombo.py" in names


def test_the_sdist_carries_the_licence_changelog_docs_and_deploy_files(dist):
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for path in (
        "LICENSE",
        "CHANGELOG.md",
        "migrations/env.py",
        "deploy/compose.yaml",
        "deploy/systemd/pbhub-web.service",
        "docs/deploy.md",
    ):
        assert path in names, f"the sdist lacks {path}"


def test_an_installed_hub_names_its_version(installed, tmp_path):
    result = run_installed(installed, tmp_path, "pbhub", "--version")
    assert result.stdout == f"pbhub (Postback Hub) {VERSION}\n", result.stderr


def test_an_installed_hub_migrates_into_a_data_directory_of_the_users_own(installed, tmp_path):
    result = run_installed(installed, tmp_path, "pbhub", "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "database upgraded from revision none (empty) to" in result.stdout
    data = tmp_path / ".local" / "share" / "postback-hub"
    assert (data / "pbhub.sqlite3").is_file() and (data / "secret_key").is_file()


def test_an_installed_hub_serves_its_pages_and_static_files(installed, tmp_path):
    run_installed(installed, tmp_path, "pbhub", "db", "upgrade")
    script = (
        "import app\n"
        "from app import create_app\n"
        "client = create_app().test_client()\n"
        "page = client.get('/login')\n"
        "style = client.get('/static/' + page.get_data(as_text=True)"
        ".split('/static/', 1)[1].split('\"', 1)[0])\n"
        "print(page.status_code, style.status_code, app.__file__)\n"
    )
    result = run_installed(installed, tmp_path, "python", "-c", script)
    page, style, package = result.stdout.split()
    assert (page, style) == ("200", "200"), result.stderr
    assert Path(package).is_relative_to(installed)
