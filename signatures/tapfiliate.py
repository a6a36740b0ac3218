"""Tapfiliate: affiliate postbacks and trigger webhooks, ``${...}`` variables.

Docs:
https://support.tapfiliate.com/en/articles/9886258-how-to-setup-postback-for-affiliates
https://tapfiliate.com/docs/guides/setting-up-s2s-postback-tracking/
https://linkclicky.com/support/tapfiliate-postback/ (third-party integration guide)

Two mechanisms write the same ``${x}`` dialect:

* Postbacks (Affiliates > Add Postback): the parameters the affiliate asks for are
  mapped to Tapfiliate macros, documented as ``clickid=${click_subid}``,
  ``payout=${commission_amount}`` and ``currency=${currency}``. The click id is the
  affiliate's SubID, passed on the referral link and stored by Tapfiliate.
* Triggers ("conversion created" with a webhook action), documented as
  ``?subid=${conversion.click.meta_data[subid1]}&amount=${conversion.amount}
  &order_id=${conversion.id}``. The click id comes back from the click's meta-data
  key the affiliate chose (``subid1`` in the example); that family is open-ended, so
  this module has code: any ``${conversion.click.meta_data[<key>]}`` is read as the
  click id. The shared URL parser reads its ``[<key>]`` part as a separate ``[x]``
  macro; that reading is replaced here.

Mapped: ``${commission_amount}`` is the affiliate's commission (payout) and
``${currency}`` its currency; ``${conversion.amount}`` is the conversion (sale) amount
and ``${conversion.id}`` the conversion id. ``${conversion.commissions}`` appears only
in LinkClicky's guide (which reports it does not expand correctly) and is kept as a
fallback payout macro.

Not verified: a status macro, an event-name macro (the postback's action type is chosen
per postback) or a customer-id macro. Whether ``${currency}`` is the commission's or the
order's currency is not stated; it is mapped to the payout, next to the commission.
"""

from plugins import Signature, hookimpl

#: ``${conversion.click.meta_data[<key>]}`` reads as this macro, whatever the key.
META_DATA = "conversion.click.meta_data"


TAPFILIATE = Signature(
    id="tapfiliate",
    name="Tapfiliate",
    docs=(
        "https://support.tapfiliate.com/en/articles/9886258-how-to-setup-postback-for-affiliates",
        "https://tapfiliate.com/docs/guides/setting-up-s2s-postback-tracking/",
        "https://linkclicky.com/support/tapfiliate-postback/",
    ),
    syntaxes=("${x}",),
    macros={
        "click_id": ("click_subid", META_DATA),
        "transaction_id": ("conversion.id",),
        "gross_amount": ("conversion.amount",),
        "payout_amount": ("commission_amount", "conversion.commissions"),
        "payout_currency": ("currency",),
    },
    notes=(
        "Postbacks: map the click id from ${click_subid}. Triggers: store the click id as "
        "a click meta-data key and map it from ${conversion.click.meta_data[<key>]}."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TAPFILIATE]
