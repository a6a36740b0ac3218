"""Zeropark: the "Sold Postback URL" Zeropark sends to publishers for each sold visit.

Docs: https://doc.zeropark.com/article/sold-postback-url

Here Zeropark is the sending side: a publisher gives its account manager a URL and
Zeropark fills in ``{payout}`` (a number, e.g. 0.00003), ``{extclickid}`` (the
publisher's own click id, which Zeropark must first receive in the ``extclickid``
request parameter), ``{visitid}`` (a UUID, the "id" of the bid response),
``{visittimestamp}`` (ISO 8601) and ``{advertiserId}`` (a UUID).

Traps: a sold visit, not an advertiser conversion, is the event, so there is no event
or status macro; ``{visitid}`` is read as the transaction id (one per sold visit).
Zeropark's advertiser-side postback (a tracker reporting conversions to Zeropark) is a
different URL and is not covered here.

Not verified: the currency of ``{payout}`` (not stated), so none is declared.
"""

from plugins import Signature, hookimpl

ZEROPARK = Signature(
    id="zeropark",
    name="Zeropark",
    docs=("https://doc.zeropark.com/article/sold-postback-url",),
    macros={
        "click_id": ("extclickid",),
        "transaction_id": ("visitid",),
        "payout_amount": ("payout",),
    },
    other_macros=("visittimestamp", "advertiserId"),
    notes="One postback per sold visit; the payout currency is not stated.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ZEROPARK]
