"""ClickFlare's receiving side: ``/cf/cv?click_id=REPLACE&payout=OPTIONAL&txid=OPTIONAL``.

Docs: https://help.clickflare.io/en/tracking/click-flare-parameters-in-postback-urls
Also: https://help.clickflare.io/en/tracking/how-to-submit-an-s2s-postback-url-to-an-affiliate-network-in-clickflare
and https://help.clickflare.io/en/settings/s2s-postback-ur-ls (older ``/cf/postback`` form)

ClickFlare's keys: ``click_id`` (the ClickFlare click id, mandatory), ``payout``
(revenue per conversion) and ``txid`` (a unique transaction id, to count several
conversions of one click). Users copy the template with the literal placeholders
REPLACE and OPTIONAL and substitute the network's macros. Voluum and BeMob share
``payout``/``txid`` and the placeholders; ``click_id`` (not ``cid``) tells ClickFlare
apart.

Not verified: the name of the conversion-type key (the help centre mentions one) and a
currency key. The older settings page shows ``/cf/postback?cid=..&payout=..&txid=..``;
``cid`` is Voluum's and BeMob's key too and is not declared, so such a URL stays
ambiguous.
"""

from plugins import Signature, hookimpl

CLICKFLARE = Signature(
    id="clickflare",
    name="ClickFlare",
    docs=(
        "https://help.clickflare.io/en/tracking/click-flare-parameters-in-postback-urls",
        "https://help.clickflare.io/en/tracking/"
        "how-to-submit-an-s2s-postback-url-to-an-affiliate-network-in-clickflare",
        "https://help.clickflare.io/en/settings/s2s-postback-ur-ls",
    ),
    syntaxes=("WORD",),
    other_macros=("REPLACE", "OPTIONAL"),
    params={
        "click_id": ("click_id",),
        "payout_amount": ("payout",),
        "transaction_id": ("txid",),
    },
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [CLICKFLARE]
