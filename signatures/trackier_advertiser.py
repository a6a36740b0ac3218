"""Trackier's receiving side: the parameters of Trackier's advertiser (S2S) postback.

Docs:
https://help.trackier.com/en/articles/8107277-key-parameters-for-setting-up-advertiser-postback
https://help.trackier.com/support/solutions/articles/31000155578-parameters-for-advertiser-postback

The parameter names are Trackier's; the values are whatever macros the advertiser's
system fills in (Trackier's generated URL starts ``click_id={ADVERTISER_CLICK_ID}``), so
detection goes by parameter names here, as for Keitaro or Voluum.

Verified: ``click_id`` (the click id the advertiser received), ``txn_id`` (the
advertiser's unique sale or registration id, "also called order ID or lead ID"),
``sale_amount`` (the sale value, used for CPS campaigns), ``goal_value`` (the goal, i.e.
the conversion event), ``revenue`` ("to get a dynamic payout from your advertiser": what
the receiver earns, so the payout), ``currency`` ("currency of the payout"), ``status``
(approved, pending, rejected, cancelled), ``goal_id`` and the open ``sub1``-``sub15``.

Not verified: a currency for ``sale_amount`` or a user-id parameter. Goal values are
defined per campaign, so there is no fixed event map.
"""

from plugins import Signature, hookimpl

TRACKIER_ADVERTISER = Signature(
    id="trackier_advertiser",
    name="Trackier (advertiser postback)",
    docs=(
        "https://help.trackier.com/en/articles/"
        "8107277-key-parameters-for-setting-up-advertiser-postback",
        "https://help.trackier.com/support/solutions/articles/"
        "31000155578-parameters-for-advertiser-postback",
    ),
    params={
        "click_id": ("click_id",),
        "transaction_id": ("txn_id",),
        "event_type": ("goal_value",),
        "gross_amount": ("sale_amount",),
        "payout_amount": ("revenue",),
        "payout_currency": ("currency",),
        "status": ("status",),
    },
    other_params=("goal_id", *(f"sub{n}" for n in range(1, 16))),
    status_map={
        "approved": "approved",
        "pending": "pending",
        "rejected": "rejected",
        "cancelled": "rejected",
    },
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TRACKIER_ADVERTISER]
