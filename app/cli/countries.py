"""``pbhub countries ...``: which country database answers, and what it says of an address."""

from __future__ import annotations

import ipaddress

import click

from app.core.countries import country_name
from app.runtime import country_lookup


@click.group()
def countries() -> None:
    """The country database behind the Track URL."""


@countries.command("lookup")
@click.argument("addresses", nargs=-1, required=True)
def lookup(addresses: tuple[str, ...]) -> None:
    """Look ADDRESSES up as a click from them would be.

    Prints which database answers, then one line per address: its country code and
    name, or why it has none (private, reserved, not in the database).

    \b
    Example:
      pbhub countries lookup 8.8.8.8 2001:4860:4860::8888 10.0.0.1

    Exits 1 when an argument is not an IP address.
    """
    database = country_lookup()
    click.echo(f"database: {database.name}")
    bad = False
    for address in addresses:
        why = _no_country_reason(address)
        code = None if why else database.country_of(address)
        if code:
            click.echo(f"{address}  {code}  {country_name(code)}")
        else:
            click.echo(f"{address}  -  {why or 'not in the database: no country'}")
            bad = bad or why == NOT_AN_ADDRESS
    if bad:
        raise click.exceptions.Exit(1)


NOT_AN_ADDRESS = "is not an IPv4 or IPv6 address"


def _no_country_reason(address: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return NOT_AN_ADDRESS
    if parsed.is_global:
        return None
    return "a private or reserved address: no country"
