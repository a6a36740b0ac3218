"""Monlix offerwall: publisher postback parameters in ``{{macro}}`` syntax.

Docs: https://docs.monlix.com/docs/postback

Macros: ``{{userId}}`` (the publisher's user), ``{{userIp}}``, ``{{countryCode}}``,
``{{secretKey}}`` (to validate the request), ``{{taskName}}``, ``{{transactionId}}``
("unique transaction id (to avoid duplicates)"), ``{{rewardCurrency}}`` and
``{{rewardValue}}`` (the publisher's virtual currency: not money, not mapped),
``{{payout}}`` (conversion value in USD), ``{{subId}}`` (the sub id passed to the
offerwall: the hub's click id travels there) and ``{{status}}`` (1 = valid,
2 = invalid, i.e. a chargeback).

``{{countryCode}}`` is the user's country, read as the conversion's.

Trap: ``{{payout}}`` is always USD and no currency macro exists, so set USD as the
source's default currency. A chargeback repeats the transaction id with status 2.

Not verified: an event or offer-type macro; none is declared.
"""

from plugins import Signature, hookimpl

MONLIX = Signature(
    id="monlix",
    name="Monlix",
    docs=("https://docs.monlix.com/docs/postback",),
    syntaxes=("{{x}}",),
    macros={
        "click_id": ("subId",),
        "external_user_id": ("userId",),
        "transaction_id": ("transactionId",),
        "payout_amount": ("payout",),
        "status": ("status",),
        "country": ("countryCode",),
    },
    other_macros=(
        "userIp",
        "secretKey",
        "taskName",
        "rewardCurrency",
        "rewardValue",
    ),
    status_map={"1": "approved", "2": "rejected"},
    notes="{{payout}} is in USD; status 2 is a chargeback of an earlier conversion.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [MONLIX]
