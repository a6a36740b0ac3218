"""BitLabs (surveys and offerwall): callback parameters in ``[%NAME%]`` syntax.

Docs: https://developer.bitlabs.ai/docs/callback-parameters
Also: https://developer.bitlabs.ai/docs/implementation-settings
and https://developer.bitlabs.ai/docs/offer-callbacks

Mandatory: ``[%UID%]`` (the publisher's user id), ``[%VAL%]`` (the user's reward in app
currency), ``[%RAW%]`` ("complete payment in USD, paid to the publisher") and ``[%TX%]``
(transaction id, to prevent double booking); ``&hash=`` (SHA-1 HMAC of the URL) is
always appended. Others: ``[%APP%]``/``[%APP:TOKEN%]``, ``[%IP%]``, ``[%FSCORE%]``,
``[%REF%]`` (the transaction a reconciliation reverses), ``[%OFFER_ID%]``,
``[%OFFER_NAME%]``, ``[%OFFER_STATE%]`` (NONE, COMPLETED, PENDING, RECONCILED),
``[%TASK_ID%]``, ``[%TASK_NAME%]``, ``[%BAN_REASON%]``, ``[%BAN_STATE%]``, ``[%TYPE%]``
(COMPLETE, SCREENOUT, RECONCILIATION, START_BONUS) and ``[%REASON%]``.

Traps: the hub's parser reads ``[%UID%]`` as the ``%x%`` dialect inside brackets, so
that is the syntax declared. ``[%TYPE%]`` is read as the status: a RECONCILIATION
reverses an earlier complete (with its own transaction id, the original in
``[%REF%]``). With stateful offer callbacks TYPE is COMPLETE for pending offers too;
BitLabs then recommends ``[%OFFER_STATE%]`` instead. ``[%VAL%]`` is virtual currency,
not money. The newer names with a colon (``[%USER:UID%]``, ``[%VALUE:USD%]``) are not
declared: the parser does not read a colon inside a macro name.

Not verified: an event macro other than TYPE, so no event field is declared.
"""

from plugins import Signature, hookimpl

BITLABS = Signature(
    id="bitlabs",
    name="BitLabs",
    docs=(
        "https://developer.bitlabs.ai/docs/callback-parameters",
        "https://developer.bitlabs.ai/docs/implementation-settings",
        "https://developer.bitlabs.ai/docs/offer-callbacks",
    ),
    syntaxes=("%x%",),
    macros={
        "external_user_id": ("UID",),
        "transaction_id": ("TX",),
        "payout_amount": ("RAW",),
        "status": ("TYPE",),
    },
    other_macros=(
        "VAL",
        "APP",
        "IP",
        "FSCORE",
        "REF",
        "OFFER_ID",
        "OFFER_NAME",
        "OFFER_STATE",
        "TASK_ID",
        "TASK_NAME",
        "BAN_REASON",
        "BAN_STATE",
        "REASON",
    ),
    status_map={
        "COMPLETE": "approved",
        "SCREENOUT": "approved",
        "START_BONUS": "approved",
        "RECONCILIATION": "rejected",
        "COMPLETED": "approved",
        "PENDING": "pending",
        "RECONCILED": "rejected",
    },
    notes="[%RAW%] is USD; [%VAL%] is app currency. Verify &hash= before trusting a call.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [BITLABS]
