"""SourceKnowledge's receiving side: ``upx.provenpixel.com/postback.php?clk=CLICK_ID``.

Docs: https://soknomedia.atlassian.net/wiki/spaces/SK/pages/2663251981/Postback+URLs+Server+to+Server+Tracking

SourceKnowledge is a traffic source; the advertiser appends its ``{clickid}`` macro to
the tracking URL under the advertiser's own click-id parameter, and returns the value
on conversion to ``https://upx.provenpixel.com/postback.php?clk=CLICK_ID`` ("the only
change required is to replace CLICK_ID with the click id value"). ``clk`` is the one
documented key, and detection goes by it.

Traps: conversions must fire within two weeks of the click, and duplicates are only
discarded when an order id accompanies every fire; the page recommends "adding more
parameters" but their names could not be read.

Not verified: the order-id, payout and currency keys (not readable), so none is
declared.
"""

from plugins import Signature, hookimpl

SOURCEKNOWLEDGE = Signature(
    id="sourceknowledge",
    name="SourceKnowledge",
    docs=(
        "https://soknomedia.atlassian.net/wiki/spaces/SK/pages/2663251981/Postback+URLs+Server+to+Server+Tracking",
    ),
    params={"click_id": ("clk",)},
    notes="Only clk is documented; fire within two weeks of the click.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [SOURCEKNOWLEDGE]
