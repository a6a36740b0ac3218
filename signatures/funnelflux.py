"""FunnelFlux Pro's receiving side: ``/pb/?hit=REPLACE&tx=REPLACE&rev=REPLACE``.

Docs: https://help.funnelflux.pro/en/article/tracking-conversions-1vtfnp5/
Also: https://help.funnelflux.pro/article/90-hit-and-visitor-id-technical-details

FunnelFlux's keys: ``hit`` (the hit id, required; FunnelFlux's token for it on the
offer URL is ``{hit}``), ``tx`` (optional transaction id) and ``rev`` (optional
revenue; the offer's default payout applies when absent). The global postback is shown
with the literal placeholder REPLACE, and elsewhere as ``hit=HIT_ID&rev=REVENUE&
tx=OPTIONAL``; the documented network-side example is
``hit={{clickid}}&tx={{transaction}}&rev={{payout}}``.

Trap: the hit id is per page view, not per visitor: the offer URL must pass ``{hit}``,
not the visitor id ``{visitor}``/``vid``.

Not verified: the second, visitor-id based postback method (its keys are cut off in
the stored page), a currency key and an event key, so none are declared.
"""

from plugins import Signature, hookimpl

FUNNELFLUX = Signature(
    id="funnelflux",
    name="FunnelFlux",
    docs=(
        "https://help.funnelflux.pro/en/article/tracking-conversions-1vtfnp5/",
        "https://help.funnelflux.pro/article/90-hit-and-visitor-id-technical-details",
    ),
    syntaxes=("WORD",),
    other_macros=("REPLACE", "HIT_ID", "REVENUE", "OPTIONAL"),
    params={
        "click_id": ("hit",),
        "transaction_id": ("tx",),
        "payout_amount": ("rev",),
    },
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [FUNNELFLUX]
