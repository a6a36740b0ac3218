"""MGID's receiving side: ``a.mgid.com/postback?c={click}&e={event}&r={revenue}``.

Docs: https://help.mgid.com/postback-setup
Also: https://help.mgid.com/postback-setting-algorithm-in-mgid-dashboard/
and https://help.mgid.com/binom.org-tracker-integration

MGID is a traffic source; its postback "can accept 3 parameters": ``c`` (the MGID
click id, passed to the offer through the ``{click_id}`` tracking tag), ``e`` (the
event, i.e. the goal name set in the campaign's conversion sensors, "e.g.: pending,
approved, rejected") and ``r`` (revenue, optional, accepted "without reference to a
currency": the advertiser account's currency applies). Detection goes by these names.

Traps: MGID's examples append a campaign number to the event
(``e={status}123456`` -> ``approved123456``), so event labels are per campaign and
there is no fixed event map. There is no currency key: set the source's currency to the
MGID account currency.

Not verified: any key beyond ``c``, ``e`` and ``r`` (none is documented).
"""

from plugins import Signature, hookimpl

MGID = Signature(
    id="mgid",
    name="MGID",
    docs=(
        "https://help.mgid.com/postback-setup",
        "https://help.mgid.com/postback-setting-algorithm-in-mgid-dashboard/",
        "https://help.mgid.com/binom.org-tracker-integration",
    ),
    params={
        "click_id": ("c",),
        "event_type": ("e",),
        "payout_amount": ("r",),
    },
    notes="e carries the goal name plus a campaign number; r is in the account currency.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [MGID]
