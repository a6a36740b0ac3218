"""Admitad (Mitgo): publisher postback parameters in ``[[[x]]]`` syntax.

Docs:
https://developers.admitad.com/it/doc/api_en/methods/opt_codes/opt-codes-create-action/
https://support.mitgo.com/hc/en-us/articles/360019365798

The "list of link parameters" of Admitad's postback (API doc, the same set the
publisher's Tools > Postback URL page offers): ``[[[subid]]]`` returns the SubID the
publisher put on the affiliate link (the click id), ``[[[payment_sum]]]`` the
publisher's earnings, ``[[[currency]]]`` the program's currency, ``[[[order_id]]]`` the
order number, ``[[[order_sum]]]`` the order amount and ``[[[type]]]`` the type of
action (sale or lead). ``[[[currency]]]`` is the program's currency for both amounts;
it is mapped to the payout.

Trap: Admitad sends no status *parameter* in that list; which statuses fire a postback
is a filter on the postback itself (5 new, 6 accepted, 7 rejected, 8 pending) plus the
``[[[reward_ready]]]`` flag. To tell statuses apart, create one postback per status
filter and add a fixed ``status=approved`` (etc.) to each. Repeats of one
``[[[order_id]]]`` with a new status are then status changes of one conversion.

Not verified: the literal values of ``[[[type]]]`` (the API filter uses 1 = sale,
2 = lead), so there is no event map; a user-id macro; ``[[[subid1]]]``-style extra
SubIDs (not in the documented list).
"""

from plugins import Signature, hookimpl

ADMITAD = Signature(
    id="admitad",
    name="Admitad",
    docs=(
        "https://developers.admitad.com/it/doc/api_en/methods/opt_codes/opt-codes-create-action/",
        "https://support.mitgo.com/hc/en-us/articles/360019365798",
    ),
    syntaxes=("[[[x]]]",),
    macros={
        "click_id": ("subid",),
        "event_type": ("type",),
        "transaction_id": ("order_id",),
        "payout_amount": ("payment_sum",),
        "payout_currency": ("currency",),
        "gross_amount": ("order_sum",),
    },
    other_macros=(
        "offer_id",
        "offer_name",
        "website_name",
        "website_id",
        "reward_ready",
        "click_time",
        "time",
        "conversion_time",
        "action_ip",
        "user_agent",
    ),
    notes=(
        "No status macro: one postback per status filter, each with a fixed status=... parameter."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADMITAD]
