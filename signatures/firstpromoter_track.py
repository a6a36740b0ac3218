"""FirstPromoter's receiving side: the parameters of FirstPromoter's tracking API for
sales, ``/api/v1/track/sale``.

Docs:
https://docs.firstpromoter.com/api-reference-v1/tracking-api/sales
https://docs.firstpromoter.com/api-reference-v2/api-admin/tracking-api/sales

A merchant's server reports each paid sale (authenticated with an API key header). The
documented parameters are ``email`` / ``uid`` (which identify the referred customer),
``event_id`` (the sale's id, for de-duplication), ``amount`` (the sale amount before
taxes, in cents: the response echoes it as ``amount_cents``), ``quantity``, ``plan``,
``currency``, ``mrr``, ``promo_code``, ``tid`` (the ``_fprom_tid`` tracking id
FirstPromoter set for the referred visitor, i.e. the click) and ``ref_id`` (the
promoter's referral id, when the sale is referred directly), plus
``skip_email_notification``.

Mapped: ``tid`` (click id), ``event_id`` (transaction id), ``amount`` and ``currency``
(the sale), ``uid`` (the customer's id). The customer's email is personal data and is
not mapped. The commission is computed by FirstPromoter, so there is no payout
parameter. The values are the merchant's; detection goes by parameter names here.
"""

from plugins import Signature, hookimpl

FIRSTPROMOTER_TRACK = Signature(
    id="firstpromoter_track",
    name="FirstPromoter (tracking API)",
    docs=(
        "https://docs.firstpromoter.com/api-reference-v1/tracking-api/sales",
        "https://docs.firstpromoter.com/api-reference-v2/api-admin/tracking-api/sales",
    ),
    params={
        "click_id": ("tid",),
        "transaction_id": ("event_id",),
        "gross_amount": ("amount",),
        "gross_currency": ("currency",),
        "external_user_id": ("uid",),
    },
    other_params=(
        "email",
        "quantity",
        "plan",
        "mrr",
        "promo_code",
        "ref_id",
        "skip_email_notification",
    ),
    notes="amount is in cents (FirstPromoter echoes it as amount_cents).",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [FIRSTPROMOTER_TRACK]
