"""Advertizer's receiving side: ``postback.advertizer.com/pb.php?clickid=..&amount=..``.

Docs: https://kintura.com/docs/presets/pairings/advertizer/trafficcompany (a tracker's
preset for Advertizer as a traffic source)

Advertizer is a traffic source. Kintura's preset has the tracker take Advertizer's
external id from ``[[subid]]`` on the click and report conversions to
``http://postback.advertizer.com/pb.php?clickid={externalid}&amount={payout}&
advertiser_id=REPLACE&key=REPLACE``. Keys: ``clickid`` (Advertizer's click id),
``amount`` (the conversion's revenue, filled with the tracker's payout), and the
account's ``advertiser_id`` and ``key``, both fixed values copied from Advertizer.
Detection goes by these names; ``advertiser_id`` with ``key`` tells Advertizer apart.

Traps: ``key`` is a secret, not a click id (RichAds uses ``key`` for its click id);
``amount`` is the payout reported to the source, not a sale amount.

Not verified on Advertizer's own pages (not found): the host, the key names and the
currency of ``amount``; no event or transaction-id key is known.
"""

from plugins import Signature, hookimpl

ADVERTIZER = Signature(
    id="advertizer",
    name="Advertizer",
    docs=("https://kintura.com/docs/presets/pairings/advertizer/trafficcompany",),
    params={
        "click_id": ("clickid",),
        "payout_amount": ("amount",),
    },
    other_params=("advertiser_id", "key"),
    notes="advertiser_id and key are the account's fixed values; key is a secret.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADVERTIZER]
