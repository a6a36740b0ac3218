"""CJ (Commission Junction / CJ Affiliate): the documented S2S postback shape.

Docs:
https://docs.cj.com/docs/s2s-implementation
https://help.stage.tune.com/hasoffers/commission-junction/ (``sid`` is CJ's sub-id parameter)

What could NOT be verified: CJ documents no macro-based postback for publishers.
Publishers get commissions through CJ's APIs (Commission Detail, GraphQL) and pass
their own click id on CJ links as ``sid``; a postback that returns it is set up by a
CJ account manager and its placeholders are not public. So no CJ outgoing macro is
declared here.

What is documented is CJ's server-to-server postback itself, which advertisers fire to
``emjcd.com/u`` and which a hub can receive in the same shape: ``CJEVENT`` (CJ's click
id, from the ``cje`` cookie), ``OID`` (order id), ``TYPE`` (the action tracker id,
one per action such as sale or lead), ``CURRENCY`` (of the order amounts),
``METHOD=S2S``, ``EVENTTIME``, ``COUPON``, ``DISCOUNT``, ``CUST_STATUS`` and the item
lines ``ITEMn``/``AMTn``/``QTYn``/``DCNTn``. Detection goes by these names (upper-case
on CJ's page, matched without case). ``CID`` (the advertiser's static enterprise id) is
deliberately left out: it carries nothing the hub maps, and ``cid`` is Voluum's,
BeMob's and PeerClick's click key.

Not verified: a single order-total key (CJ's page shows item-level amounts only), so no
amount is mapped; ``TYPE`` values are numeric action ids, so there is no event map.
"""

from plugins import Signature, hookimpl

ITEM_KEYS = tuple(f"{key}{n}" for n in range(1, 11) for key in ("ITEM", "AMT", "QTY", "DCNT"))

CJ = Signature(
    id="cj",
    name="CJ (Commission Junction)",
    docs=(
        "https://docs.cj.com/docs/s2s-implementation",
        "https://help.stage.tune.com/hasoffers/commission-junction/",
    ),
    params={
        "click_id": ("CJEVENT",),
        "transaction_id": ("OID",),
        "event_type": ("TYPE",),
        "gross_currency": ("CURRENCY",),
    },
    other_params=("METHOD", "EVENTTIME", "COUPON", "DISCOUNT", "CUST_STATUS", *ITEM_KEYS),
    notes="CJ has no public publisher postback macros; this is CJ's S2S postback shape.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [CJ]
