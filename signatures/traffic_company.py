"""Traffic Company (affiliate network): postback macros ``{click_id}``, ``{unique_id}``,
``{reward}``.

Docs: https://kintura.com/docs/presets/pairings/advertizer/trafficcompany (a tracker's
preset for Traffic Company as an affiliate network)

Traffic Company's own postback documentation could not be found; Kintura's preset
shows the macros it fills. The tracker's click id goes to the offer as
``?click_id={cid}``, and Traffic Company is told to send conversions to
``http://track.kintura.io/conversion?cid={click_id}&txid={unique_id}&payout={reward}``:
``{click_id}`` returns that click id; ``{unique_id}``, which the preset puts in the
tracker's transaction id, is read as the conversion id, and ``{reward}``, which it puts
in the tracker's payout, as the payout.
``{unique_id}`` and ``{reward}`` tell Traffic Company apart.

Traps: the preset puts the macros under a tracker's own names (``cid``, ``txid``,
``payout``), which trackers read the same way; the macros, not the names, say the
sender is Traffic Company.

Not verified: a currency, event or status macro, so none is declared; nor whether
``{reward}`` is in USD.
"""

from plugins import Signature, hookimpl

TRAFFIC_COMPANY = Signature(
    id="traffic_company",
    name="Traffic Company",
    docs=("https://kintura.com/docs/presets/pairings/advertizer/trafficcompany",),
    macros={
        "click_id": ("click_id",),
        "transaction_id": ("unique_id",),
        "payout_amount": ("reward",),
    },
    notes="{unique_id} is the conversion id; the currency of {reward} is unstated.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TRAFFIC_COMPANY]
