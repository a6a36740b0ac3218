"""Affise: affiliate postback macros.

Docs: https://help-center.affise.com/en/articles/6483741-affiliate-postback-url-macros

Affise has no click-id macro of its own on affiliate postbacks: the affiliate's click id
round-trips through ``{sub1}``...``{sub8}``. Trap: ``{transactionid}`` is Affise's
conversion id, not a click id (TUNE and Everflow use ``transaction_id`` for the click).
``{goal}`` carries offer-defined values, ``{status}`` the approval state (1/2/3/5).
The macro page lists ``{geo}`` as "Country" (``{city}`` beside it is no country);
``{country}``, declared here before, is read as the country too when ``{geo}`` is not
there.
"""

from plugins import Signature, hookimpl

AFFISE = Signature(
    id="affise",
    name="Affise",
    docs=("https://help-center.affise.com/en/articles/6483741-affiliate-postback-url-macros",),
    macros={
        "click_id": ("sub1", "sub2", "sub3", "sub4", "sub5", "sub6", "sub7", "sub8"),
        "event_type": ("goal",),
        "status": ("status",),
        "transaction_id": ("transactionid",),
        "payout_amount": ("sum",),
        "payout_currency": ("currency",),
        "gross_amount": ("order_sum",),
        "gross_currency": ("order_currency",),
        "external_user_id": ("user_id",),
        "country": ("geo", "country"),
    },
    other_macros=(
        "clickid",
        "offer_id",
        "pid",
        "ip",
        "datetime",
        "timestamp",
        "custom_field1",
        "custom_field2",
        "custom_field3",
        "custom_field4",
        "custom_field5",
        "custom_field6",
        "custom_field7",
        "order_id",
        "referrer",
        "goal_value",
    ),
    status_map={"1": "approved", "2": "pending", "3": "rejected", "5": "pending"},
    notes="Status 5 is 'hold': approved but not yet payable, kept as pending.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [AFFISE]
