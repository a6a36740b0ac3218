"""FlexOffers: publisher Global Postback URL variables in ``#x#`` syntax.

Docs:
https://supportbeta.flexoffers.com/knowledge/do-you-support-global-postback-urls
https://support.flexoffers.com/hc/en-us/articles/360042524412-Do-you-support-Global-Postback-URLs

Variables: ``#fobs#`` and ``#fobs2#``-``#fobs5#`` return the publisher's sub-tracking
values (the hub's click id goes on the FlexOffers link as ``fobs=``), ``#on#`` the
order number, ``#sa#`` the sale amount, ``#ca#`` the commission, ``#et#`` the event
date and time, ``#programid#`` the advertiser program, ``#flx_salesid#`` FlexOffers'
sales id (click id + order number) and ``#clickid#`` FlexOffers' *internal* click id.

Traps: ``#clickid#`` is FlexOffers' own click, not the hub's click id (use ``#fobs#``).
``#flx_salesid#`` is unique per sale and preferred as the transaction id; the
documented example carries only ``#on#``, the advertiser's order number. An unencoded
``#`` starts a URL fragment; the hub reads such URLs all the same (as for CAKE).

Not verified: a currency variable (none is listed: set a default currency on the
source), a status variable and an event
variable: the postback fires for tracked sales of participating programs, so use one
Postback URL with a fixed event (``/pb/<token>/cpa``). No customer-id variable.
"""

from plugins import Signature, hookimpl

FLEXOFFERS = Signature(
    id="flexoffers",
    name="FlexOffers",
    docs=(
        "https://supportbeta.flexoffers.com/knowledge/do-you-support-global-postback-urls",
        "https://support.flexoffers.com/hc/en-us/articles/"
        "360042524412-Do-you-support-Global-Postback-URLs",
    ),
    syntaxes=("#x#",),
    macros={
        "click_id": ("fobs", "fobs2", "fobs3", "fobs4", "fobs5"),
        "transaction_id": ("flx_salesid", "on"),
        "payout_amount": ("ca",),
        "gross_amount": ("sa",),
    },
    other_macros=("et", "clickid", "programid"),
    per_event_urls=True,
    notes="#clickid# is FlexOffers' internal click id; the hub's click id comes back in #fobs#.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [FLEXOFFERS]
