"""RedTrack's receiving side: ``clickid={replace_me}&sum={replace_or_remove}``.

Docs: https://redtrack.zendesk.com/hc/en-us/articles/213573065-S2S-Tracking-via-Postback-URL

Only ``clickid`` and ``sum`` are confirmed by the public article; RedTrack also accepts
conversion type, status and currency keys whose exact names could not be verified, so
they are not listed.
"""

from plugins import Signature, hookimpl

REDTRACK = Signature(
    id="redtrack",
    name="RedTrack",
    docs=(
        "https://redtrack.zendesk.com/hc/en-us/articles/213573065-S2S-Tracking-via-Postback-URL",
    ),
    other_macros=("replace_me", "replace_or_remove", "affiliate_network_parameter"),
    params={"click_id": ("clickid",), "payout_amount": ("sum",)},
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [REDTRACK]
