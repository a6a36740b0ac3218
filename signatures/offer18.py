"""Offer18's receiving side: the parameters of Offer18's global postback URL, the one a
network hands its advertisers, ``/p?mid=000&tid={aff_click_id}``.

Docs: https://offer18.gitbook.io/knowledge-base/global-postback-parameters

The parameter names are Offer18's; the values are the advertiser's macros (the example
puts the advertiser's ``{aff_click_id}`` in ``tid``), so detection goes by parameter
names here.

Verified: ``mid`` (in the generated URL), ``tid`` ("to receive unique clickid value
being passed in offer URL"), ``event`` (event-wise postbacks when the campaign has
events), ``adv_sub1``-``adv_sub5`` (additional dynamic values, "like lead id,
advertiser's order id") and ``sale`` (mandatory for cost-per-sale campaigns: the sale
amount).

Not verified: the rest of the macro table (cut off after ``sale`` in the stored copy),
in particular any payout, currency or status parameter. The affiliate-side macros
Offer18 fills in its affiliates' postbacks could not be read, so there is no
affiliate-side Offer18 signature.
"""

from plugins import Signature, hookimpl

OFFER18 = Signature(
    id="offer18",
    name="Offer18 (advertiser postback)",
    docs=("https://offer18.gitbook.io/knowledge-base/global-postback-parameters",),
    params={
        "click_id": ("tid",),
        "event_type": ("event",),
        "gross_amount": ("sale",),
    },
    other_params=("mid", *(f"adv_sub{n}" for n in range(1, 6))),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [OFFER18]
