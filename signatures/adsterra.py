"""Adsterra's receiving side: ``pbterra.com/name/<advertiser>/at?subid_short=..&atpay=..``.

Docs: http://help-advertisers.adsterra.com/en/articles/4575914-how-do-i-setup-postback
Also: https://docs.bemob.com/en/adsterra (BeMob's preset of the same postback)

Adsterra is an ad network; advertisers report conversions back to it. "Simple postback
with payout variable": ``http://www.pbterra.com/name/NAMEOFADVERTISER/at?
subid_short=CLICK_ID&atpay=1.5``, where ``subid_short`` returns Adsterra's CLICK_ID
(sent to the offer URL) and ``atpay`` the payout in USD. BeMob's preset fills them as
``subid_short={externalId}&atpay={payout}``. Detection goes by these two names, both
Adsterra's own.

Traps: ``atpay`` must be USD; the "complex postback with currency conversion" for other
currencies adds a currency key whose name could not be read, so none is declared.
"""

from plugins import Signature, hookimpl

ADSTERRA = Signature(
    id="adsterra",
    name="Adsterra",
    docs=(
        "https://help-advertisers.adsterra.com/en/articles/4575914-how-do-i-setup-postback",
        "https://docs.bemob.com/en/adsterra",
    ),
    params={
        "click_id": ("subid_short",),
        "payout_amount": ("atpay",),
    },
    notes="atpay is USD; the non-USD (currency) variant is not declared.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADSTERRA]
