"""Awin: publisher Transaction Notifications, ``!!!placeholder!!!``, case-sensitive.

Docs:
https://developer.awin.com/docs/request-types
https://developer.awin.com/docs/transaction-notifications
https://help.awin.com/developers/docs/transaction-notifications

Awin's GET transaction notification fills placeholders written ``!!!name!!!``, and Awin
states that they are case sensitive (``!!!clickRef!!!``, not ``!!!clickref!!!``).
``!!!clickRef!!!`` (and ``!!!clickRef2!!!``-``!!!clickRef6!!!``) return the publisher's
click reference, i.e. the hub's click id passed as ``clickref`` on the Awin link;
``!!!transactionId!!!`` is Awin's transaction id, ``!!!commission!!!`` the commission,
``!!!transactionAmount!!!`` the sale amount and ``!!!transactionCurrency!!!`` the
advertiser program's currency. ``!!!trackedAmount!!!``/``!!!trackedCurrency!!!`` carry
the original purchase currency when it differs.

Quirk (why this module has code): one currency placeholder covers both amounts. The
sale amount is documented in the program currency; the commission is assumed to be in
it too (the notification has no separate commission currency), so the parameter that
carries ``!!!transactionCurrency!!!`` is mapped to both currencies.

Not verified: a status placeholder and an event placeholder (there are none in the
list): a notification is sent when a transaction is recorded, so every notification is
one event (configure ``/pb/<token>/cpa``); later approvals or declines are not sent.
No customer-id placeholder either. ``!!!products!!!`` and ``!!!commissionGroups!!!``
are JSON and must be a whole parameter value.
"""

from plugins import Signature, hookimpl

CLICK_REFS = ("clickRef", *(f"clickRef{n}" for n in range(2, 7)))


AWIN = Signature(
    id="awin",
    name="Awin",
    docs=(
        "https://developer.awin.com/docs/request-types",
        "https://developer.awin.com/docs/transaction-notifications",
        "https://help.awin.com/developers/docs/transaction-notifications",
    ),
    syntaxes=("!!!x!!!",),
    case_sensitive=True,
    macros={
        "click_id": CLICK_REFS,
        "transaction_id": ("transactionId",),
        "payout_amount": ("commission",),
        "payout_currency": ("transactionCurrency",),
        "gross_currency": ("transactionCurrency",),
        "gross_amount": ("transactionAmount",),
    },
    other_macros=(
        "affiliateId",
        "bannerId",
        "clickThroughTime",
        "clickTime",
        "commissionGroups",
        "groupId",
        "merchantId",
        "phrase",
        "products",
        "searchEngine",
        "trackedAmount",
        "trackedCurrency",
        "transactionDate",
        "url",
    ),
    per_event_urls=True,
    notes="Placeholders are case sensitive. No status or event placeholder.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [AWIN]
