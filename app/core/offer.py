"""Where a Track URL sends the visitor: the source's offer URL carrying the click token."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from werkzeug.urls import iri_to_uri

CID_MACRO = "{cid}"
CID_PARAM = "_cid"
#: Stands in for the macro while the URL is converted: letters and digits only, so no
#: part of a URL quotes or re-cases it, as none does to the URL-safe token itself.
_SLOT = "PBHUBCIDSLOT0"


def offer_parts(offer_url: str) -> tuple[str, ...]:
    """The offer URL as a URI, split where the token goes, so each redirect is one
    ``str.join`` and needs no conversion of its own.

    The token replaces every ``{cid}`` macro; without one it is appended as ``_cid``.
    Non-ASCII hosts and paths become punycode and percent escapes here, once per source,
    exactly as werkzeug would convert every redirect's ``Location``.
    """
    if CID_MACRO in offer_url:
        template = offer_url.replace(CID_MACRO, _SLOT)
    else:
        scheme, netloc, path, query, fragment = urlsplit(offer_url)
        query = f"{query}&{CID_PARAM}={_SLOT}" if query else f"{CID_PARAM}={_SLOT}"
        template = urlunsplit((scheme, netloc, path, query, fragment))
    return tuple(iri_to_uri(template).split(_SLOT))
