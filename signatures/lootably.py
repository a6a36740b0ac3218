"""Lootably (offer wall): postback parameters, ``{camelCase}`` macros.

Docs: https://documentation.lootably.com/docs/postbacks

Macros from the parameter table: ``{userID}`` (the user who completed the offer),
``{transactionID}`` ("the ID of this conversion in our database"), ``{ip}``,
``{offerName}``, ``{offerID}``, ``{numericOfferID}``,
``{multistepOfferPercentageComplete}``, ``{goalName}`` and ``{goalID}`` (empty when the
offer has no goals) and ``{revenue}`` (a number: the USD value earned on the offer or
goal, as public integrations describe it).

Traps: ``{userID}`` is the wall's user, not a click. Multi-step offers post once per
goal, so ``{goalName}``/``{goalID}`` are read as the event. Public integrations also use
``{currencyReward}`` (virtual currency), ``{status}`` (1 conversion, 0 chargeback) and a
SHA-256 ``{hash}``; the stored copy of the table stops at ``{revenue}``, so they are not
declared.
"""

from plugins import Signature, hookimpl

LOOTABLY = Signature(
    id="lootably",
    name="Lootably",
    docs=("https://documentation.lootably.com/docs/postbacks",),
    macros={
        "external_user_id": ("userID",),
        "transaction_id": ("transactionID",),
        "payout_amount": ("revenue",),
        "event_type": ("goalName", "goalID"),
    },
    other_macros=(
        "ip",
        "offerName",
        "offerID",
        "numericOfferID",
        "multistepOfferPercentageComplete",
    ),
    notes="One postback per goal on multi-step offers; {revenue} is USD.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [LOOTABLY]
