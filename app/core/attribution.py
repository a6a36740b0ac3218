"""Tie a conversion to its click, and decide what a repeated transaction means."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core import cid
from app.core.vocabulary import STATUS_TRANSITIONS


@dataclass(frozen=True)
class ClickMatch:
    attribution: str
    clicked_at: datetime | None = None
    note: str | None = None
    #: The click's country (ISO 3166 alpha-2), when it has one.
    country: str | None = None


@dataclass(frozen=True)
class ImportedClick:
    clicked_at: datetime
    country: str | None = None


def attribute_click(
    click_id: str | None,
    *,
    source_id: int,
    received_at: datetime,
    window_days: int,
    token_key: bytes,
    find_imported_click: Callable[[str], ImportedClick | None],
) -> ClickMatch:
    """``matched``, ``expired`` or ``unmatched`` for a conversion's click id.

    Our own ``_cid`` tokens verify offline (signature plus the click time and country
    they carry); other ids are looked up as imported clicks (Keitaro sub ids).
    """
    if not click_id:
        return ClickMatch("unmatched", note="click_id: none sent")
    token = cid.verify(token_key, click_id)
    if token is not None:
        if token.source_id != source_id:
            return ClickMatch("unmatched", note="click_id: the click belongs to another source")
        clicked_at, country = token.clicked_at, token.country
    else:
        imported = find_imported_click(click_id)
        if imported is None:
            return ClickMatch("unmatched", note="click_id: no click with this id")
        clicked_at, country = imported.clicked_at, imported.country
    if received_at - clicked_at > timedelta(days=window_days):
        note = "click is older than the attribution window"
        return ClickMatch("expired", clicked_at, note=note, country=country)
    return ClickMatch("matched", clicked_at, country=country)


def is_status_change(previous: str, new: str) -> bool:
    """Whether a repeated transaction with status ``new`` moves the conversion on."""
    return (previous, new) in STATUS_TRANSITIONS
