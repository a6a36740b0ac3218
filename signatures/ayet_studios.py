"""ayeT-Studios (offer wall, surveys): conversion callback macros, ``{curly}``.

Docs: https://docs.ayetstudios.com/v/product-docs/callbacks-and-testing/callbacks/offerwall-callbacks
Also: https://ayetstudios.com/openapi/publisher-doc (changelog of callback macros)

Documented example: ``callback?network=ayetstudios&amount={currency_amount}&
external_identifier={external_identifier}&payout_usd={payout_usd}``. Macros:
``{transaction_id}`` (unique, for duplicate checks; a reversal carries the original id
prefixed with ``r-``), ``{is_chargeback}`` (0 conversion, 1 chargeback),
``{chargeback_reason}``, ``{chargeback_date}``, ``{currency_amount}`` (the user's virtual
currency, negative on a chargeback), ``{external_identifier}`` (the user identifier set
in the wall URL) and ``{payout_usd}``; the changelog adds ``{event_name}`` (CPE tasks,
v1.11.10) and ``{event_value}`` (v1.13.5).

Traps: ``{currency_amount}`` is virtual currency, not money; ``{payout_usd}`` is the
publisher's USD payout. Reversals only arrive if "Enable Reversal Callbacks" is ticked
on the placement, and they reuse the callback URL: keep ``{is_chargeback}`` in it.

Not verified: the rest of the macro table (offer and placement ids, IP, ...), so only
the names above are declared.
"""

from plugins import Signature, hookimpl

AYET_STUDIOS = Signature(
    id="ayet_studios",
    name="ayeT-Studios",
    docs=(
        "https://docs.ayetstudios.com/v/product-docs/callbacks-and-testing/callbacks/"
        "offerwall-callbacks",
        "https://ayetstudios.com/openapi/publisher-doc",
    ),
    macros={
        "transaction_id": ("transaction_id",),
        "external_user_id": ("external_identifier",),
        "payout_amount": ("payout_usd",),
        "event_type": ("event_name",),
        "status": ("is_chargeback",),
    },
    other_macros=("currency_amount", "chargeback_reason", "chargeback_date", "event_value"),
    status_map={"0": "approved", "1": "rejected"},
    notes="{payout_usd} is USD; a chargeback has is_chargeback=1 and an 'r-' transaction id.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [AYET_STUDIOS]
