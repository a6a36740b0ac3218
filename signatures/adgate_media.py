"""AdGate Media (Prodege): publisher postback macros of the AdGate Rewards offer wall.

Docs: https://docs.adgatemedia.com/postbacks/postback-information
Also: https://docs.prodegeads.com/postbacks/postback-information
and https://docs.prodegeads.com/postbacks/magic-receipts-postbacks

Example: ``postback/?conversion_id={conversion_id}&user_id={s1}&point_value={points}&
usd_value={payout}&offer_title={vc_title}``. Macros: ``{s1}`` (User ID), ``{source}``
(the offer wall or sub-source, ``vc-123``), ``{points}`` (points to reward),
``{vc_title}`` (offer title as shown on the wall), ``{payout}`` ("Amount in USD that you
earned"), ``{state}`` (approved, rejected: a reversal of an earlier conversion,
pending: approved later), ``{conversion_id}`` and ``{event_id}`` (needed to receive
non-payable events, whose payout is 0). Magic Receipts adds ``{shm_upload_id}``,
``{shm_upload_offer_id}``, ``{shm_status}`` and ``{shm_event_id}`` (sent as POST).

Traps: ``{s1}`` is the wall's user, not a click, so it is the external user id; there
is no click-id macro. A chargeback arrives only if the URL contains ``{state}``.
``{points}`` is virtual currency, not money.

Not verified: ``{offer_id}`` and ``{session_ip}`` (seen in public integrations, not in
the stored docs text) and any ``{s2}``-``{s5}``; none is declared.
"""

from plugins import Signature, hookimpl

ADGATE_MEDIA = Signature(
    id="adgate_media",
    name="AdGate Media",
    docs=(
        "https://docs.adgatemedia.com/postbacks/postback-information",
        "https://docs.prodegeads.com/postbacks/postback-information",
        "https://docs.prodegeads.com/postbacks/magic-receipts-postbacks",
    ),
    macros={
        "external_user_id": ("s1",),
        "transaction_id": ("conversion_id",),
        "payout_amount": ("payout",),
        "status": ("state",),
    },
    other_macros=(
        "source",
        "points",
        "vc_title",
        "event_id",
        "shm_upload_id",
        "shm_upload_offer_id",
        "shm_status",
        "shm_event_id",
    ),
    status_map={"approved": "approved", "pending": "pending", "rejected": "rejected"},
    notes="{payout} is USD; include {state} to receive reversals (state=rejected).",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADGATE_MEDIA]
