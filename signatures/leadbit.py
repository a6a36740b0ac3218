"""Leadbit (CPA / COD lead network): postback tokens in ``{x}`` syntax.

Docs:
https://docs.bemob.com/en/leadbit-settings
https://doc.voluum.com/en/adding_leadbit_offer.html
https://docs.keitaro.io/en/conversions-and-postback/integration-with-affiliate-networks/leadbit.html

Leadbit's own help pages sit behind the partner login; the tokens come from the Leadbit
templates the trackers publish. BeMob's template is
``cid={sub1}&payout={cost}&txid={id}&status={status}``: ``{sub1}`` returns the click id
the affiliate put on the flow link, ``{cost}`` is the affiliate's payout, ``{id}`` the
lead id and ``{status}`` the lead's status.

Trap: the lead id is the transaction id, and status changes (new lead, then approved or
declined) arrive again under the same ``{id}``: they are status changes of one
conversion, not duplicates. Leadbit's flow settings take one postback per status field
and send no event token, so one Postback URL with a fixed event in the path
(``/pb/<token>/cpa``) serves every field.

Not verified: the exact status values (BeMob's template only says new, approved and
declined conversions are told apart), a currency token, a sale-amount token and a user
id token. ``{sub2}``-``{sub5}`` are not shown by the templates either.
"""

from plugins import Signature, hookimpl

LEADBIT = Signature(
    id="leadbit",
    name="Leadbit",
    docs=(
        "https://docs.bemob.com/en/leadbit-settings",
        "https://doc.voluum.com/en/adding_leadbit_offer.html",
        "https://docs.keitaro.io/en/conversions-and-postback/integration-with-affiliate-networks/"
        "leadbit.html",
    ),
    macros={
        "click_id": ("sub1",),
        "status": ("status",),
        "transaction_id": ("id",),
        "payout_amount": ("cost",),
    },
    per_event_urls=True,
    notes="{id} is the lead id: status changes arrive again under the same id.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [LEADBIT]
