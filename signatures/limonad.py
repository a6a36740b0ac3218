"""Limonad (CPA network): postback macros in ``{x}`` syntax.

Docs: https://docs.limonad.com/doc/en-postback

Macros: ``{clickid}`` returns the click id the affiliate passed on the click (the doc's
own examples put it in ``subid=``), ``{leadid}`` the lead's id in Limonad, ``{status}``
the lead status, ``{payout}`` the webmaster's payout, ``{payoutOrZero}`` the payout on
Paid and 0 on every other status, ``{utmSource}``/``{utmMedium}``/``{utmCampaign}``/
``{utmContent}``/``{utmTerm}`` and ``{Global_source}``; any lead field such as ``{sub1}``
can be returned too.

Trap: the lead id is the transaction id, and every status change of a lead is sent
again under the same ``{leadid}``: they update one conversion. The status *labels* are
the operator's: the global postback fires for the statuses ticked in the profile, each
under a name the operator types. Name them approved / pending / rejected (or set the
source's status map) so the hub reads them. There is no event macro: use one Postback
URL with a fixed event in the path (``/pb/<token>/cpa``).

Not verified: a currency macro, a sale-amount macro and a user-id macro (none is
listed). The documented example (``subid={clickid}&payout={payout}&status={status}``)
uses only generic names, so it cannot be recognised on its own; ``{payoutOrZero}``,
``{Global_source}`` or a ``{utm...}`` macro tell Limonad apart.
"""

from plugins import Signature, hookimpl

LIMONAD = Signature(
    id="limonad",
    name="Limonad",
    docs=("https://docs.limonad.com/doc/en-postback",),
    macros={
        "click_id": ("clickid",),
        "status": ("status",),
        "transaction_id": ("leadid",),
        "payout_amount": ("payout", "payoutOrZero"),
    },
    other_macros=(
        "utmCampaign",
        "utmContent",
        "utmMedium",
        "utmSource",
        "utmTerm",
        "Global_source",
    ),
    per_event_urls=True,
    notes=(
        "{leadid} is the lead id: status changes arrive again under it. Status labels are "
        "named by the operator in Limonad's postback settings."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [LIMONAD]
