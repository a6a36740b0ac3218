"""Affise Reach (Affise's marketplace for publishers): publisher postback macros.

Docs: https://help-center.affisereach.com/en/articles/6127765-postback-macros
Status values: https://help-center.affisereach.com/en/articles/6095764-postback-parameters

Trap: ``{click_id}`` is Reach's own click id. The publisher's click id (the one the hub
issued) is ``{pub_click_id}``, "Click ID in your external system", passed on the click;
``{sub1}``-``{sub8}`` also return click data. ``{conversion_id}`` is the conversion's id,
``{sum}``/``{currency}`` the publisher's payout and its currency, ``{sale_amount}`` the
purchase sum (its description is cut short in the stored page), ``{goal_id}`` and
``{goal_title}`` the campaign's goal (campaign-defined, so no fixed event map), ``{geo}``
the conversion's country (``{city}`` is no country).

Not verified: a sale-currency macro and a user-id macro (the publisher page does not
show one; ``user_id`` exists only on the advertiser side). The status footnote of the
publisher page is cut off; the values 1/2/3/4 are those of Reach's postback parameters
page (Approved, Pending, Rejected, Hold) and are assumed to be the same. Reach shares
``{sub1}``..., ``{sum}``, ``{currency}`` and ``{status}`` with Affise itself;
``{pub_click_id}``, ``{conversion_id}``, ``{goal_title}`` and ``{sale_amount}`` tell
them apart.
"""

from plugins import Signature, hookimpl

SUBS = tuple(f"sub{n}" for n in range(1, 9))

AFFISE_REACH = Signature(
    id="affise_reach",
    name="Affise Reach",
    docs=(
        "https://help-center.affisereach.com/en/articles/6127765-postback-macros",
        "https://help-center.affisereach.com/en/articles/6095764-postback-parameters",
    ),
    macros={
        "click_id": ("pub_click_id", *SUBS),
        "event_type": ("goal_title", "goal_id"),
        "status": ("status",),
        "transaction_id": ("conversion_id",),
        "payout_amount": ("sum",),
        "payout_currency": ("currency",),
        "gross_amount": ("sale_amount",),
        "country": ("geo",),
    },
    other_macros=(
        "click_id",
        "advertiser_id",
        "campaign_id",
        "campaign_name",
        "landing_id",
        "creative_id",
        "ip",
        "city",
        "device_ua",
        "time",
        "date_only",
        "time_petty",
        "comment",
        "conversion_time",
        "conversion_date",
        *(f"adv_sub{n}" for n in range(1, 5)),
        *(f"pub_unique{n}" for n in range(1, 5)),
        *(f"custom_field{n}" for n in range(1, 9)),
    ),
    status_map={"1": "approved", "2": "pending", "3": "rejected", "4": "pending"},
    notes="{click_id} is Reach's click id; the publisher's own is {pub_click_id}. 4 = hold.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [AFFISE_REACH]
