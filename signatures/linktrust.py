"""LinkTrust, affiliate side: the ``[=Token=]`` placeholders LinkTrust fills in an
affiliate's pixel (postback) URL.

Docs:
https://help.linktrust.com/knowledge/optional-code-tokens
http://help.linktrust.com/PixVantagetokens.htm (the older copy of the same table)
https://support.linktrust.com/hc/en-us/articles/115000009871-Placing-and-Firing-an-Affiliate-s-Pixel

The network takes the affiliate's pixel and replaces the affiliate's tokens with
LinkTrust tokens; the documented example turns ``{click}``, ``{subid}`` and
``{transaction}`` into ``[=AffiliateReferenceID=]``, ``[=SID=]`` and ``[=_TransID=]``.

Verified tokens: ``[=CID=]`` (campaign), ``[=AFID=]`` (affiliate), ``[=SID=]`` (sub id:
"should not be unique for each transaction", so never the click id), ``[=ADID=]``
(creative), ``[=ClickID=]`` (LinkTrust's own click id), ``[=AffiliateGroup=]``,
``[=Quantity=]``, ``[=TotalSales=]`` (the sale amount on the merchant's site),
``[=_TransID=]`` (LinkTrust's id of the conversion), ``[=AffiliateCommission=]`` (the
commission earned) and ``[=AffiliateReferenceID=]`` (the affiliate's own value appended
to the tracking link as ``AffiliateReferenceID=``, "unique for each consumer tracked":
the hub's click id), ``[=MerchantReferenceID=]`` (a value passed by the merchant).

The ``[=x=]`` dialect is not one the shared URL parser knows, so this module has code
that reads it. Not verified: currency, status, event or customer-id tokens.
"""

from plugins import Signature, hookimpl

SYNTAX = "[=x=]"


LINKTRUST = Signature(
    id="linktrust",
    name="LinkTrust (affiliate pixel)",
    docs=(
        "https://help.linktrust.com/knowledge/optional-code-tokens",
        "http://help.linktrust.com/PixVantagetokens.htm",
        "https://support.linktrust.com/hc/en-us/articles/"
        "115000009871-Placing-and-Firing-an-Affiliate-s-Pixel",
    ),
    syntaxes=(SYNTAX,),
    macros={
        "click_id": ("AffiliateReferenceID",),
        "transaction_id": ("_TransID",),
        "gross_amount": ("TotalSales",),
        "payout_amount": ("AffiliateCommission",),
    },
    other_macros=(
        "CID",
        "AFID",
        "SID",
        "ADID",
        "ClickID",
        "AffiliateGroup",
        "Quantity",
        "MerchantReferenceID",
    ),
    notes=(
        "Append AffiliateReferenceID=<click id> to the LinkTrust tracking link and map it "
        "back from [=AffiliateReferenceID=]; [=SID=] is a non-unique sub id."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [LINKTRUST]
