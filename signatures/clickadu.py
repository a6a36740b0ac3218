"""Clickadu's receiving side: ``sconvtrk.com/conversion/<id>/?visitor_id=..``.

Docs: https://support.clickadu.com/hc/en-us/articles/360001757198-How-to-integrate-Clickadu-S2S-conversion-tracking-
Also: https://kintura.com/docs/presets/pairings/clickadu/clickbooth (a tracker's preset
showing the whole URL)

Clickadu is a pop/push/in-page traffic source. Its own guide has the advertiser copy the
postback URL from the Tracking tab and replace its click-id token with the tracker's:
"&visitor_id=${SUBID} -> &visitor_id={externalid}" (``${SUBID}`` is Clickadu's unique
id for tracking conversions, passed to the tracker on the click). Kintura's preset gives
the whole URL: ``http://sconvtrk.com/conversion/REPLACE/?visitor_id={externalid}``, the
account's part of the path standing in for REPLACE. ``visitor_id`` is the one key, and
detection goes by it.

Traps: BeMob's guides say PropellerAds uses the same ``visitor_id`` name for its
external id, so a bare ``visitor_id`` URL may be a PropellerAds postback too; the path
segment, not a parameter, identifies the Clickadu account.

Not verified: a payout, currency, event or transaction-id key (neither page shows one),
so none is declared.
"""

from plugins import Signature, hookimpl

CLICKADU = Signature(
    id="clickadu",
    name="Clickadu",
    docs=(
        "https://support.clickadu.com/hc/en-us/articles/360001757198-How-to-integrate-Clickadu-S2S-conversion-tracking-",
        "https://kintura.com/docs/presets/pairings/clickadu/clickbooth",
    ),
    params={"click_id": ("visitor_id",)},
    notes="visitor_id carries Clickadu's ${SUBID}; no payout key is documented.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [CLICKADU]
