"""LeadDyno's receiving side: the parameters of LeadDyno's purchase API, which takes
them "as query parameters, form-encoded or JSON".

Docs:
https://app.theneo.io/leaddyno/leaddyno-rest-api/purchases/get-purchases-id
https://support.leaddyno.com/hc/en-us/articles/15151748798877-REST-API-Introduction

LeadDyno has no affiliate postback; a merchant reports a sale server-to-server with
``POST https://api.leaddyno.com/v1/purchases`` and the parameters ``key`` (the private
key, required on every call), ``email`` (the customer's email, required),
``purchase_code`` ("a unique identifier for this purchase"), ``purchase_amount`` ("the
total amount of the purchase", for percentage commissions), ``plan_code`` (the reward
structure) and ``code`` (the affiliate code to credit).

Mapped: ``purchase_code`` (transaction id) and ``purchase_amount`` (sale amount). The
customer's email is personal data and is not mapped as a user id; ``code`` names the
affiliate, not a click, so a LeadDyno-shaped URL carries no click id and is named but
never recognised on its own. Not verified: currency, status or commission parameters (a
fixed-commission override exists, but its name was not readable).
"""

from plugins import Signature, hookimpl

LEADDYNO = Signature(
    id="leaddyno",
    name="LeadDyno (purchase API)",
    docs=(
        "https://app.theneo.io/leaddyno/leaddyno-rest-api/purchases/get-purchases-id",
        "https://support.leaddyno.com/hc/en-us/articles/15151748798877-REST-API-Introduction",
    ),
    params={
        "transaction_id": ("purchase_code",),
        "gross_amount": ("purchase_amount",),
    },
    other_params=("key", "email", "plan_code", "code"),
    notes="No click id: LeadDyno attributes by the customer's email or the affiliate code.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [LEADDYNO]
