"""Trackier, publisher (affiliate) side: the macros Trackier fills in a publisher's
postback URL, ``{p1}``, ``{txn_id}``, ``{goal_value}``, ``{payout}``.

Docs:
https://help.trackier.com/en/articles/8107293-publisher-tracking-link-parameters-and-postback-macros
https://help.trackier.com/support/solutions/articles/31000154963-publisher-tracking-link-macro-and-postback-parameter-

The publisher's click id goes out on the tracking link as ``p1`` ("Ask the publisher to
pass their click ID in p1") and comes back through ``{p1}`` ("add this corresponding to
their click id parameter in the postback"). The documented example postback is
``?aff_sub={p1}&goal={goal_value}&sub_id={txn_id}``.

Verified: ``{p1}`` (click id), ``{p2}``-``{p10}`` (open parameters echoed back),
``{payout}`` / ``{payout_usd}`` ("to pass the payout in USD for the campaign"),
``{txn_id}`` (the unique transaction id generated on the advertiser's side), ``{sub1}``-
``{sub10}`` (the advertiser's sub ids) and ``{goal_value}`` (the goal, used in the
documented example). Goal values are defined per campaign, so there is no fixed event
map.

Not verified: a currency macro, a status macro, a sale-amount macro or a user-id macro
on publisher postbacks. Both payout macros are in USD, but with no currency macro the
currency field is left to the source's default.

Distinct from ``trackier_advertiser`` (Trackier's receiving side, where ``click_id``,
``txn_id`` and ``goal_value`` are parameter *names*).
"""

from plugins import Signature, hookimpl

TRACKIER = Signature(
    id="trackier",
    name="Trackier (publisher postback)",
    docs=(
        "https://help.trackier.com/en/articles/"
        "8107293-publisher-tracking-link-parameters-and-postback-macros",
        "https://help.trackier.com/support/solutions/articles/"
        "31000154963-publisher-tracking-link-macro-and-postback-parameter-",
    ),
    macros={
        "click_id": ("p1",),
        "event_type": ("goal_value",),
        "transaction_id": ("txn_id",),
        "payout_amount": ("payout", "payout_usd"),
    },
    other_macros=(
        *(f"p{n}" for n in range(2, 11)),
        *(f"sub{n}" for n in range(1, 11)),
    ),
    notes=(
        "The publisher's click id round-trips through the p1 parameter: send it as "
        "&p1=<click id> on the tracking link and map it back from {p1}. Payouts are in USD."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TRACKIER]
