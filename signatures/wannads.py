"""Wannads (offer wall): reward-app postback macros, ``{curly}``.

Docs: https://wannads.com/documentation/postback/app
Also: https://affiliates.wannads.com/documentation/postback_notifications (older system)

Macros of the reward-app postback: ``{user_id}`` (the user who completed the action),
``{reward}`` (virtual currency to credit, negative on a rejection), ``{status}``
("credited" or "rejected"; accounts migrated from the old system get 1 and 2 instead),
``{offer_id}``, ``{offer_name}``, ``{aff_sub}``-``{aff_sub4}`` (the values the publisher
passed when loading the wall), ``{goal_id}`` (for multi-reward offers) and
``{transaction_id}``.

Traps: ``{user_id}`` is the wall's user, so it is the external user id; a click id the
publisher wants back travels in ``{aff_sub}``-``{aff_sub4}``. ``{reward}`` is virtual
currency, not money. The old system's postback (``subId``, ``transId``, ``reward``,
``payout``, ``signature``, ``status``, ``userIp``, ``campaign_id``, ``campaign_name``,
``country``, ``uuid``, ``subId2``) shares its names with Revtoo and other walls and is
not declared, so such a URL is left to the operator.

Not verified: a payout (USD) macro for the reward-app postback; the stored copy of the
macro table stops after ``{transaction_id}``.
"""

from plugins import Signature, hookimpl

WANNADS = Signature(
    id="wannads",
    name="Wannads",
    docs=(
        "https://wannads.com/documentation/postback/app",
        "https://affiliates.wannads.com/documentation/postback_notifications",
    ),
    macros={
        "click_id": ("aff_sub", "aff_sub2", "aff_sub3", "aff_sub4"),
        "external_user_id": ("user_id",),
        "transaction_id": ("transaction_id",),
        "event_type": ("goal_id",),
        "status": ("status",),
    },
    other_macros=("reward", "offer_id", "offer_name"),
    status_map={"credited": "approved", "rejected": "rejected", "1": "approved", "2": "rejected"},
    notes="{reward} is virtual currency and negative on rejections; status 'rejected' reverses.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [WANNADS]
