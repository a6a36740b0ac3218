"""MediaGo's receiving side: its S2S conversion postback URL.

Docs: https://cdn.mediago.io/js/docs/platform/s2s-conversion-postback.html

MediaGo is a traffic source; the advertiser's tracker calls
``sync.mediago.io/api/bidder/postback?trackingid=${TRACKING_ID}&adid=${AD_ID}&
conversiontype=...&conversionprice=...&includeintotalconversion=...&accountname=...``.
Keys: ``trackingid`` (required: MediaGo's tracking id, the click), ``adid`` (the ad),
``conversiontype`` (a number from MediaGo's conversion-type table; 1 = View Content is
the default), ``conversionprice`` (revenue, for ROAS), ``includeintotalconversion``
(1 or 0: whether the conversion counts in the total) and ``accountname``. Detection goes
by these names.

Traps: ``conversiontype`` is numeric; only ``1`` (View Content) could be read from the
page, so no event map is declared. No currency key exists.

Not verified: the rest of the conversion-type table (Table 1.1) and any transaction-id
key (none is documented).
"""

from plugins import Signature, hookimpl

MEDIAGO = Signature(
    id="mediago",
    name="MediaGo",
    docs=("https://cdn.mediago.io/js/docs/platform/s2s-conversion-postback.html",),
    params={
        "click_id": ("trackingid",),
        "event_type": ("conversiontype",),
        "payout_amount": ("conversionprice",),
    },
    other_params=("adid", "includeintotalconversion", "accountname"),
    notes="conversiontype is a number from MediaGo's table (1 = View Content).",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [MEDIAGO]
