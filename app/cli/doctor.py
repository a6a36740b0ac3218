"""``pbhub doctor``: the configuration as it will actually run, one line per check."""

from __future__ import annotations

import json

import click

from app.runtime import doctor_setup
from app.services import doctor as service

#: How each status is shown, padded so the names line up.
LABELS = {service.OK: "ok", service.WARN: "warn", service.FAIL: "FAIL", service.SKIP: "skip"}


@click.command("doctor")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the result as JSON: the status and the checks, as /healthz lists them.",
)
def doctor(as_json: bool) -> None:
    """Check the configuration as this hub will run it, one line per check.

    Checks the database and its migrations, Redis and the workers, SECRET_KEY,
    PBHUB_BASE_URL (and whether it answers as this hub), the outbound allow-list, the
    country database and the clock; each problem comes with what to do about it.

    Exits 1 when a check fails; warnings alone exit 0, so a deploy script can run it
    after starting the processes.

    \b
    Example:
      pbhub doctor
      pbhub doctor --json | jq '.checks[] | select(.status != "ok")'
    """
    checks = service.run(doctor_setup(), operator=True)
    if as_json:
        result = {"status": service.overall(checks), "checks": [c.as_dict() for c in checks]}
        click.echo(json.dumps(result, indent=2))
    else:
        for check in checks:
            click.echo(line(check))
        click.echo(tally(checks))
    if any(check.status == service.FAIL for check in checks):
        raise click.exceptions.Exit(1)


def line(check: service.Check) -> str:
    """``FAIL  redis: cannot connect ... (connection refused). Start Redis, ...``"""
    text = f"{LABELS[check.status]:<6}{check.name}: {check.summary}."
    return f"{text} {check.advice}" if check.advice else text


def tally(checks: list[service.Check]) -> str:
    """``10 checks: 7 ok, 1 warning, 0 failures, 2 skipped``"""

    def count(status: str, word: str) -> str:
        number = sum(check.status == status for check in checks)
        return f"{number} {word}{'' if number == 1 else 's'}"

    skipped = sum(check.status == service.SKIP for check in checks)
    text = (
        f"{len(checks)} checks: {sum(check.status == service.OK for check in checks)} ok, "
        f"{count(service.WARN, 'warning')}, {count(service.FAIL, 'failure')}"
    )
    return f"{text}, {skipped} skipped" if skipped else text
