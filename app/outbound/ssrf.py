"""Refuse outbound postbacks to private targets (server-side request forgery guard).

Operators configure where postbacks go, and a URL like ``http://169.254.169.254/`` or
``http://localhost:6379/`` would make this server call into its own network on their
behalf. So, at send time and after DNS resolution (a public-looking name can resolve to
a private address, and a name can change what it resolves to after it was saved), every
address the host resolves to must be public; one forbidden address refuses the whole URL.

Literal addresses are normalised first, because ``http://2130706433/``, ``http://0x7f.1/``
and ``http://[::ffff:127.0.0.1]/`` all reach 127.0.0.1. Self-hosters whose receivers live
on their own network list exceptions in ``PBHUB_OUTBOUND_ALLOWED_HOSTS`` (host names and
IPs/CIDRs).

This module checks; ``app.outbound.http`` pins. ``check_url`` returns the addresses it
checked, and the outbound session connects to exactly those (keeping the name for the
Host header, TLS SNI and the certificate), so the HTTP client never resolves the name a
second time and a hostile DNS server answering differently then (DNS rebinding) gets
nowhere. Any other caller that resolves again on its own is not protected by this check.
Plain Python, no Flask: the resolver is injected, so tests need no network.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

SETTING = "PBHUB_OUTBOUND_ALLOWED_HOSTS"
SCHEMES = {"http": 80, "https": 443}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

_net = ipaddress.ip_network

#: First match wins, so the specific entries (cloud metadata) come before their ranges.
#: Explicit rather than ``is_private``/``is_global``, whose answers changed between
#: Python patch releases; those flags are only a last resort below.
FORBIDDEN: tuple[tuple[IPNetwork, str], ...] = (
    (_net("0.0.0.0/8"), "is unspecified ('this network', 0.0.0.0/8)"),
    (_net("127.0.0.0/8"), "is loopback (127.0.0.0/8)"),
    (_net("10.0.0.0/8"), "is private (RFC 1918, 10.0.0.0/8)"),
    (_net("172.16.0.0/12"), "is private (RFC 1918, 172.16.0.0/12)"),
    (_net("192.168.0.0/16"), "is private (RFC 1918, 192.168.0.0/16)"),
    (_net("100.64.0.0/10"), "is carrier-grade NAT space (RFC 6598, 100.64.0.0/10)"),
    (_net("169.254.169.254/32"), "is the cloud metadata service (169.254.169.254)"),
    (_net("169.254.0.0/16"), "is link-local (169.254.0.0/16)"),
    (_net("192.0.0.0/24"), "is reserved for IETF protocols (192.0.0.0/24)"),
    (_net("198.18.0.0/15"), "is reserved for benchmarking (198.18.0.0/15)"),
    (_net("224.0.0.0/4"), "is multicast (224.0.0.0/4)"),
    (_net("240.0.0.0/4"), "is reserved (240.0.0.0/4, includes broadcast)"),
    (_net("::/128"), "is unspecified (::)"),
    (_net("::1/128"), "is loopback (::1)"),
    (_net("fd00:ec2::254/128"), "is the cloud metadata service (fd00:ec2::254)"),
    (_net("fc00::/7"), "is private (unique local, fc00::/7)"),
    (_net("fe80::/10"), "is link-local (fe80::/10)"),
    (_net("fec0::/10"), "is site-local (deprecated, fec0::/10)"),
    (_net("ff00::/8"), "is multicast (ff00::/8)"),
    (_net("::/96"), "is IPv4-compatible (deprecated, ::/96)"),
    (_net("100::/64"), "is discard-only (100::/64)"),
    (_net("2001::/23"), "is reserved for IETF protocols (2001::/23, includes Teredo)"),
)
#: Prefixes that embed an IPv4 address reached through them: judged by that address.
NAT64 = _net("64:ff9b::/96")
SIX_TO_FOUR = _net("2002::/16")

_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)\Z")
#: ASCII characters an authority may hold (RFC 3986); anything else (backslash, space,
#: quotes...) is where URL parsers disagree about the host, so such URLs are refused.
_AUTHORITY_ASCII = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=:@[]"
)


class Refused(Exception):
    """An outbound URL this server will not call; the message says which host, which
    address and why, and how to allow it when allowing it is possible.

    The message never contains the URL itself: its path or query may hold a secret, and
    the message ends up in the delivery's recorded error.
    """

    def __init__(self, reason: str, host: str | None = None, address: str | None = None):
        self.reason = reason
        self.host = host
        self.address = address
        super().__init__(reason)


class Unresolvable(Exception):
    """The host name did not resolve (now). Unlike :class:`Refused` this is transient,
    so callers should treat it like a connection error and retry later."""


@dataclass(frozen=True)
class Allowed:
    """Exceptions to the guard: host names (exact, lower-case, no trailing dot) whose
    addresses are not checked, and networks whose addresses are allowed."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(address)
            if embedded is not None:
                candidates.append(embedded)
        return any(candidate in network for candidate in candidates for network in self.networks)


def parse_allowed(value: str | None) -> Allowed:
    """Parse the setting: comma-separated host names and/or IPs/CIDRs.

    A typo must fail at startup rather than silently allow nothing (or too much), so an
    entry that is neither a valid network nor a plausible host name raises ValueError.
    """
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for raw in (value or "").split(","):
        item = raw.strip()
        if not item:
            continue
        bare = item[1:-1] if item.startswith("[") and item.endswith("]") else item
        if "/" in bare or ":" in bare or _looks_numeric(bare.lower()):
            try:
                networks.append(ipaddress.ip_network(bare, strict=True))
            except ValueError as exc:
                raise ValueError(f"{SETTING}: {item!r} is not a valid IP or CIDR ({exc})") from None
            continue
        try:
            name = _normalise_name(bare)
        except ValueError:
            name = ""
        if not _is_host_name(name):
            raise ValueError(f"{SETTING}: {item!r} is neither a host name nor an IP/CIDR")
        hosts.add(name)
    return Allowed(frozenset(hosts), tuple(networks))


def default_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (what the HTTP client may connect to)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_url(url: str, allowed: Allowed, resolve: Resolver = default_resolver) -> list[str]:
    """Refuse ``url`` unless it is http(s) to a host whose every address is public or
    allowed; the addresses the host resolved to, otherwise.

    Raises :class:`Refused` (permanent: the URL must change) or :class:`Unresolvable`
    (transient: DNS failed now).
    """
    host, port = _split(url)
    try:
        name = _normalise_name(host)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    literal = _literal_address(name)
    if literal is not None:
        _check_address(name, literal, allowed, literal=True)
        return [str(literal)]
    try:
        answers = resolve(name, port)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(f"host {name} did not resolve: {exc}") from exc
    if not answers:
        raise Unresolvable(f"host {name} did not resolve to any address")
    addresses = _dedupe(_parse_answer(name, answer) for answer in answers)
    if not allowed.allows_host(name):
        for address in addresses:
            _check_address(name, address, allowed, literal=False)
    return [str(address) for address in addresses]


def forbidden_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be called (a phrase: "is loopback (127.0.0.0/8)"), or
    ``None`` when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            why = forbidden_reason(embedded)
            return None if why is None else f"leads to {embedded}, which {why}"
    for network, why in FORBIDDEN:
        if address in network:
            return why
    if address.is_private or address.is_reserved or address.is_link_local:
        return "is not globally routable (special-purpose range)"
    return None


# -- helpers ------------------------------------------------------------------------------


def _split(url: str) -> tuple[str, int]:
    if not isinstance(url, str) or not url:
        raise Refused("the URL is empty")
    if url != url.strip() or any(ord(c) < 0x20 or c == "\x7f" for c in url):
        # urlsplit silently drops tabs and newlines (and strips the ends); the HTTP client
        # may not, and then the two would disagree about the host.
        raise Refused("the URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"the URL is malformed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme!r}" if scheme else "none"
        raise Refused(f"the URL scheme must be http or https (got {shown})")
    netloc = parts.netloc
    if any(c < "\x80" and c not in _AUTHORITY_ASCII for c in netloc) or netloc.count("@") > 1:
        raise Refused("the URL's host part contains characters that are not allowed there")
    host = parts.hostname
    if not host:
        raise Refused("the URL has no host")
    if "%" in host:
        raise Refused(f"the host {host!r} is percent-encoded or has an IPv6 zone")
    if port == 0:
        raise Refused("the URL's port must not be 0")
    return host, port if port is not None else SCHEMES[scheme]


def _normalise_name(host: str) -> str:
    """Lower-case ASCII form without the trailing dot: what DNS and the allow-list see."""
    name = host.strip().lower().rstrip(".")
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii").rstrip(".")
    except UnicodeError:
        raise ValueError(f"the host {host!r} is not a valid internationalised name") from None


def _looks_numeric(name: str) -> bool:
    labels = name.split(".")
    return bool(labels) and all(_NUMERIC_LABEL.match(label) for label in labels)


def _literal_address(name: str) -> IPAddress | None:
    """The address a literal host means, or ``None`` for a name to resolve.

    Besides the dotted quad and IPv6, browsers and C resolvers accept IPv4 in decimal
    (2130706433), hex (0x7f.1), octal (0177.0.0.1) and short forms (127.1), so those are
    decoded the way ``inet_aton`` does, which is how the HTTP client will read them.
    """
    if ":" in name:
        try:
            return ipaddress.IPv6Address(name)
        except ValueError:
            raise Refused(f"the host {name!r} is not a valid IPv6 address") from None
    if not _looks_numeric(name):
        return None
    with contextlib.suppress(ValueError):
        return ipaddress.IPv4Address(name)
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        raise Refused(f"the host {name!r} is not a valid IPv4 address") from None


def _parse_answer(name: str, answer: str) -> IPAddress:
    try:
        # getaddrinfo may give a link-local IPv6 address with its zone: fe80::1%eth0.
        return ipaddress.ip_address(str(answer).split("%", 1)[0])
    except ValueError:
        raise Refused(f"host {name} resolved to {answer!r}, which is not an address") from None


def _check_address(name: str, address: IPAddress, allowed: Allowed, *, literal: bool) -> None:
    why = forbidden_reason(address)
    if why is None or allowed.allows_address(address):
        return
    if literal:
        shown = f"{name} (= {address})" if ":" not in name and name != str(address) else name
        what, example = f"address {shown} {why}", str(address)
    else:
        what, example = f"host {name} resolves to {address}, which {why}", name
    raise Refused(
        f"{what}; outbound postbacks may not reach it unless {SETTING} lists the host or a "
        f"network containing the address (e.g. {SETTING}={example})",
        host=name,
        address=str(address),
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def _dedupe(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    return list(dict.fromkeys(addresses))


def _is_host_name(name: str) -> bool:
    labels = name.split(".")
    return 0 < len(name) <= 253 and all(
        re.fullmatch(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", label) for label in labels
    )
