"""HitPath's receiving side: the advertiser pixel / postback, ``ipx.php?hid=...&ate=...``.

Docs:
https://hitpath.com/articles/variable-pay-revshare
https://hitpath.com/articles/pixel-log
https://github.com/Tiggerito/BigCommerce/blob/main/tag-rocket-hit-path.html (a
third-party HitPath integration)

HitPath creates a hit ID for every affiliate click and passes it to the advertiser's
landing page; the advertiser fires HitPath's pixel with it ("Hit ID information was
successfully inserted in the pixel by the advertiser and passed back to HitPath") and a
transaction id. ``ate`` ("amount to earn", the payin the network receives from the
advertiser) carries a variable payout and takes precedence over the configured one.

The parameter names ``hid``, ``sid``, ``transid`` and ``tid`` come from the third-party
integration (``/rd/ipx.php?hid=&sid=&transid=&ate=&tid=``; it fills ``sid`` with the
campaign and, oddly, ``tid`` with the order amount, so neither is mapped). HitPath's
own pages confirm ``ate`` and the hit and transaction ids but do not print the pixel.
Not verified: currency, status or event parameters (events are configured per campaign).
"""

from plugins import Signature, hookimpl

HITPATH = Signature(
    id="hitpath",
    name="HitPath (advertiser pixel)",
    docs=(
        "https://hitpath.com/articles/variable-pay-revshare",
        "https://hitpath.com/articles/pixel-log",
        "https://github.com/Tiggerito/BigCommerce/blob/main/tag-rocket-hit-path.html",
    ),
    params={
        "click_id": ("hid",),
        "transaction_id": ("transid",),
        "payout_amount": ("ate",),
    },
    other_params=("sid", "tid"),
    notes="ate is the amount the network earns for the sale (its payin), read as the payout.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [HITPATH]
