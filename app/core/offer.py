"""Where a Track URL sends the visitor: the source's offer URL carrying the click token."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

CID_MACRO = "{cid}"
CID_PARAM = "_cid"


def offer_parts(offer_url: str) -> tuple[str, ...]:
    """The offer URL split where the token goes, so each redirect is one ``str.join``.

    The token replaces every ``{cid}`` macro; without one it is appended as ``_cid``.
    """
    if CID_MACRO in offer_url:
        return tuple(offer_url.split(CID_MACRO))
    scheme, netloc, path, query, fragment = urlsplit(offer_url)
    query = f"{query}&{CID_PARAM}={CID_MACRO}" if query else f"{CID_PARAM}={CID_MACRO}"
    return tuple(urlunsplit((scheme, netloc, path, query, fragment)).split(CID_MACRO))
