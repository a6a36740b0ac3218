"""Where a Track URL sends the visitor: the source's offer URL carrying the click token."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import idna
from werkzeug.urls import iri_to_uri

CID_MACRO = "{cid}"
CID_PARAM = "_cid"
#: Stands in for the macro while the URL is converted: lower-case letters and digits, so
#: nothing in a path, query or fragment quotes it, as nothing quotes the URL-safe token.
_SLOT = "pbhubcidslot0"


class UnusableOfferURL(ValueError):
    """An offer URL no redirect can be built from; the message says why."""


def offer_parts(offer_url: str) -> tuple[str, ...]:
    """The offer URL as a URI, split where the token goes, so each redirect is one
    ``str.join`` and needs no conversion of its own.

    The token replaces every ``{cid}`` macro; without one it is appended as ``_cid``.
    Non-ASCII paths and queries become percent escapes here, once per source, as
    werkzeug would convert every redirect's ``Location``; a non-ASCII host becomes
    punycode by the rules browsers follow (UTS #46, non-transitional, as in the WHATWG
    URL standard: ``faß.de`` is ``xn--fa-hia.de``, where IDNA 2003 would send the visitor
    to ``fass.de``).

    Raises ``UnusableOfferURL`` for a port or host name that cannot be converted, and
    for the macro in the host, where the case-sensitive token could not survive.
    """
    try:
        return _parts(offer_url)
    except UnusableOfferURL:
        raise
    except ValueError:  # a bracketed host, a port out of range, a bad host label
        raise UnusableOfferURL("its host or port cannot be read; check the address") from None


def _parts(offer_url: str) -> tuple[str, ...]:
    if _SLOT in offer_url.lower():
        raise UnusableOfferURL(f"it must not contain “{_SLOT}”")
    scheme, netloc, path, query, fragment = urlsplit(offer_url)
    if CID_MACRO in netloc.rpartition("@")[2]:
        raise UnusableOfferURL(f"{CID_MACRO} can go in its path or query, not in its host")
    if CID_MACRO not in offer_url:
        query = f"{query}&{CID_PARAM}={CID_MACRO}" if query else f"{CID_PARAM}={CID_MACRO}"
    template = urlunsplit((scheme, _ascii_host(netloc), path, query, fragment))
    template = template.replace(CID_MACRO, _SLOT)
    parts = tuple(iri_to_uri(template).split(_SLOT))
    if len(parts) != template.count(_SLOT) + 1:
        raise UnusableOfferURL("the place of the click token was lost converting it")
    return parts


def _ascii_host(netloc: str) -> str:
    """The netloc with a non-ASCII host name in punycode; anything else as it was."""
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.isascii():
        return netloc
    host, colon, port = hostport.rpartition(":")
    if not colon or not port.isdigit():
        host, colon, port = hostport, "", ""
    ascii_host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
    return f"{userinfo}{at}{ascii_host}{colon}{port}"
