"""LinkTrust's receiving side: the parameters of LinkTrust's pixel post-back,
``pixel.track?CID=...&ClickID=...``.

Docs:
https://help.linktrust.com/knowledge/campaign-settings/standard-tracking
https://training.affiliate-reporting.com/help/pixelpost.htm
https://help.linktrust.com/knowledge/campaign-settings/postbacks-via-afid

Two documented forms: the Click ID post-back (``pixel.track?CID=100000&ClickID=...``,
the click id LinkTrust passed to the merchant's landing page) and the Affiliate ID
post-back (``pixel.track?CID=100000&AFID=1234``, not tied to a click). Any other
name=value pair is stored with the transaction; the documented example adds
``MerchantReferenceID=Value``, the merchant's own reference, mapped as the transaction
id.

Not verified: amount, commission, currency or status parameters of the post-back.
Detection goes by parameter names here (the values are the merchant's).
"""

from plugins import Signature, hookimpl

LINKTRUST_PIXEL = Signature(
    id="linktrust_pixel",
    name="LinkTrust (pixel post-back)",
    docs=(
        "https://help.linktrust.com/knowledge/campaign-settings/standard-tracking",
        "https://training.affiliate-reporting.com/help/pixelpost.htm",
        "https://help.linktrust.com/knowledge/campaign-settings/postbacks-via-afid",
    ),
    params={
        "click_id": ("ClickID",),
        "transaction_id": ("MerchantReferenceID",),
    },
    other_params=("CID", "AFID"),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [LINKTRUST_PIXEL]
