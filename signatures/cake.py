"""CAKE (getcake): affiliate postback tokens in ``#token#`` syntax.

Docs: https://support.getcake.com/en/support/solutions/articles/5000546096

``#s2#`` is the conventional click-id slot (``#s1#`` is reserved for the sub-affiliate
id). ``#leadid#`` is CAKE's own conversion id, ``#tid#`` the advertiser's. CAKE sends no
currency, event or status token: configure one Postback URL per event and a default
currency on the source.
"""

from plugins import Signature, hookimpl

CAKE = Signature(
    id="cake",
    name="CAKE",
    docs=("https://support.getcake.com/en/support/solutions/articles/5000546096",),
    syntaxes=("#x#",),
    macros={
        "click_id": ("s2", "s3", "s4", "s5", "s1"),
        "transaction_id": ("leadid", "tid"),
        "payout_amount": ("price",),
    },
    other_macros=(
        "affid",
        "oid",
        "campid",
        "cid",
        "udid",
        "ip",
        "sourceip",
        "utcunixtime",
        "sourcetime",
    ),
    per_event_urls=True,
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [CAKE]
