"""Zeydoo (PropellerAds' CPA network): affiliate postback macros.

Docs: https://help.zeydoo.com/en/articles/4362736-how-to-setup-zeydoo-s2s-conversion-tracking

Offer URLs carry ``ymid`` ("responsible for conversion transfer": the affiliate's click
id) and ``var`` (the traffic source or zone id, at most 40 characters). The postback
fills ``{ymid}`` and, optionally, ``{amount}`` (the conversion cost), e.g.
``postback?cid={ymid}&payout={amount}``.

Traps: ``{amount50%}`` or ``{amount0.5}`` send a share of the payout (half, here)
without changing Zeydoo's own statistics; such scaled macros are not declared. There is
no currency, status or conversion-id macro on the page.

Not verified: the handling of "double conversion flow" offers (the paragraph is cut
off in the stored copy) and any macro other than ``{ymid}``, ``{var}`` and
``{amount}``.
"""

from plugins import Signature, hookimpl

ZEYDOO = Signature(
    id="zeydoo",
    name="Zeydoo",
    docs=(
        "https://help.zeydoo.com/en/articles/4362736-how-to-setup-zeydoo-s2s-conversion-tracking",
    ),
    macros={
        "click_id": ("ymid",),
        "payout_amount": ("amount",),
    },
    other_macros=("var",),
    per_event_urls=True,
    notes="{amount50%} / {amount0.5} send a share of the payout; set the currency per source.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ZEYDOO]
