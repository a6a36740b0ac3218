"""Affiliate Future's receiving side: the variables an advertiser sends to record a
sale, ``affc``, ``MerchantID``, ``OrderValue``, ``OrderRef``.

Docs:
https://affiliatefuture.freshdesk.com/support/solutions/articles/79000142607-affiliate-future-integration-guides-for-advertisers
https://affiliatefuture.freshdesk.com/support/solutions/articles/79000032444-what-s-my-affiliate-future-tracking-code-

Affiliate Future appends ``affc`` to the advertiser's landing URL on every click; when
a sale is made the advertiser sends "the mandatory variables (MerchantID, OrderValue,
OrderRef) and optional ones (Payout Codes, Voucher, Currency, Product) along with the
affc value". Server-to-server (postback URL) tracking uses the same data.

Mapped: ``affc`` (the click id Affiliate Future passed), ``OrderRef`` (order reference),
``OrderValue`` (order value, the sale) and ``Currency``. Not verified: the exact
server-to-server URL (the guide is given on request) and the parameter names behind
"Payout Codes" and "Product", so they are not declared. The values are the
advertiser's; detection goes by parameter names here.
"""

from plugins import Signature, hookimpl

AFFILIATE_FUTURE = Signature(
    id="affiliate_future",
    name="Affiliate Future (advertiser S2S)",
    docs=(
        "https://affiliatefuture.freshdesk.com/support/solutions/articles/"
        "79000142607-affiliate-future-integration-guides-for-advertisers",
        "https://affiliatefuture.freshdesk.com/support/solutions/articles/"
        "79000032444-what-s-my-affiliate-future-tracking-code-",
    ),
    params={
        "click_id": ("affc",),
        "transaction_id": ("OrderRef",),
        "gross_amount": ("OrderValue",),
        "gross_currency": ("Currency",),
    },
    other_params=("MerchantID", "Voucher"),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [AFFILIATE_FUTURE]
