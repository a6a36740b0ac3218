"""Revtoo (offerwall): publisher postback parameters.

Docs: https://docs.revtoo.com/s2s-postback/postback-parameters

GET example: ``revtoo.php?subId={subId}&transId={transId}&payout={payout}&reward=
{reward}&status={status}&userIp={userIp}&offer_name={offer_name}&debug={debug}&
signature={signature}``. Parameters: ``subId`` ("unique identifier code of the user"),
``transId`` (unique transaction id), ``offer_name``, ``offer_type`` (offer, survey,
video, ptc...), ``reward`` (virtual currency to credit), ``reward_name``, ``payout``
("the offer payout in USD"), ``userIp``, ``country`` (ISO2), ``status`` (1 = credit,
2 = chargeback), ``debug`` (1 = test, 0 = live), ``signature`` (MD5 to verify the
call) and ``reward_value`` (the exchange rate).

Traps: ``{subId}`` is the user, not a click, so it is the external user id.
``country`` (ISO2) is mapped as the conversion's country. ``payout``
and ``reward`` are always positive: a chargeback is ``status=2`` with the amounts to
subtract. In POST mode the same names arrive as form fields, not in the URL.

Not verified: whether a chargeback reuses the original ``transId`` (not stated).
"""

from plugins import Signature, hookimpl

REVTOO = Signature(
    id="revtoo",
    name="Revtoo",
    docs=("https://docs.revtoo.com/s2s-postback/postback-parameters",),
    macros={
        "external_user_id": ("subId",),
        "transaction_id": ("transId",),
        "payout_amount": ("payout",),
        "status": ("status",),
        "country": ("country",),
    },
    other_macros=(
        "offer_name",
        "offer_type",
        "reward",
        "reward_name",
        "userIp",
        "debug",
        "signature",
        "reward_value",
    ),
    status_map={"1": "approved", "2": "rejected"},
    notes="{payout} is USD and always positive; status 2 is a chargeback.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [REVTOO]
