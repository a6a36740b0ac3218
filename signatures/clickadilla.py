"""ClickAdilla's receiving side: ``tracking.clickadilla.com/in/postbacks/?token=..``.

Docs: https://clickadilla.com/help/advertisers/postback-url-and-conversion-tracking-in-statistics

ClickAdilla is a traffic source. Its canonical template:
``https://tracking.clickadilla.com/in/postbacks/?token=aAA1aA&campaign_id=[CAMPAIGN_ID]&
click_id=[CLICK_ID]&payout=[PAYOUT]``. Keys: ``token`` (the user's unique token, set by
default), ``campaign_id`` (passed in the landing link when macros are set on the ad),
``click_id`` (generated for each ad click, to be stored and returned) and ``payout``
(the revenue of the conversion). The bracketed values are placeholders to replace with
the tracker's or network's macros. Detection goes by the names; ``token`` and
``campaign_id`` tell ClickAdilla apart.

Not verified: a currency, event or transaction-id key, so none is declared.
"""

from plugins import Signature, hookimpl

CLICKADILLA = Signature(
    id="clickadilla",
    name="ClickAdilla",
    docs=(
        "https://clickadilla.com/help/advertisers/postback-url-and-conversion-tracking-in-statistics",
    ),
    params={
        "click_id": ("click_id",),
        "payout_amount": ("payout",),
    },
    other_params=("token", "campaign_id"),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [CLICKADILLA]
