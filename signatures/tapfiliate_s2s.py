"""Tapfiliate's receiving side: the parameters of Tapfiliate's S2S postback (conversion
API), ``/1.7/pb/con/c/?referral_code=...&amount=...&external_id=...``.

Docs:
https://tapfiliate.com/docs/integrations/s2s-postback/
http://support.tapfiliate.com/en/articles/7227885-postback-instruction-for-a-cms

The merchant's server calls Tapfiliate (GET or POST, with an ``X-Api-Key`` header), so
the parameter names are Tapfiliate's and the values the merchant's own; detection goes
by parameter names here.

Verified: ``external_id`` (required: "a unique id for this conversion", e.g. the order
number), one of ``referral_code``, ``coupon``, ``click_id``, ``asset_id`` /
``source_id`` to attribute the conversion ("the click id" is one of them), ``amount``
("the conversion amount"), ``currency`` ("the three letter ISO currency code" of the
conversion; the program's default currency otherwise) and ``customer_id`` ("the id for
this customer in your system").

Not verified here: a commission (payout) parameter, a status or an event name; a
referral code or coupon identifies the affiliate, not the click, and is not mapped.
"""

from plugins import Signature, hookimpl

TAPFILIATE_S2S = Signature(
    id="tapfiliate_s2s",
    name="Tapfiliate (S2S postback)",
    docs=(
        "https://tapfiliate.com/docs/integrations/s2s-postback/",
        "http://support.tapfiliate.com/en/articles/7227885-postback-instruction-for-a-cms",
    ),
    params={
        "click_id": ("click_id",),
        "transaction_id": ("external_id",),
        "gross_amount": ("amount",),
        "gross_currency": ("currency",),
        "external_user_id": ("customer_id",),
    },
    other_params=("referral_code", "coupon", "asset_id", "source_id"),
    notes="The sale amount and its currency; Tapfiliate computes the commission itself.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TAPFILIATE_S2S]
