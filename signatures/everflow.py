"""Everflow: partner (affiliate) postback macros, always ``{curly}``.

Docs:
https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros
https://helpdesk.everflow.io/customer/postback-tracking-link-configurations-for-affiliate-marketing-platforms
https://getcake.freshdesk.com/support/solutions/articles/13000100633-how-to-integrate-with-everflow
https://mrpostback.com/everflow/ (third-party macro list)

The trap: in Everflow (as in TUNE) ``{transaction_id}`` is Everflow's *click* id, the
one an advertiser returns to Everflow; it is not a conversion id and never the hub's
click id. The partner's own click id goes out on the tracking link as ``sub1``-``sub5``
and comes back through ``{sub1}``-``{sub5}`` (Everflow's own guide and CAKE's
Everflow integration page). Affise, by contrast, uses ``{transactionid}`` for a
conversion id, so ``transaction_id`` is never mapped here.

Verified: ``{transaction_id}``, ``{sub1}``-``{sub5}``, ``{affiliate_id}``, ``{offer_id}``
and ``{source_id}`` (Everflow's guides); ``{event_id}``/``{event_name}`` on partner
postbacks and ``{sale_amount}`` (macro list); ``{payout_amount}`` for the partner's
payout (macro list; also the usual Everflow payout token in tracker set-up guides).
Event names are offer-defined, so there is no fixed event map.

Not verified: a conversion-id macro usable on partner postbacks, a currency macro and a
status macro (``{order_id}`` and ``{adv_event_id}`` are advertiser-postback only).
Without a conversion id the hub de-duplicates by the request's fingerprint.
"""

from plugins import Signature, hookimpl

SUBS = tuple(f"sub{n}" for n in range(1, 6))

EVERFLOW = Signature(
    id="everflow",
    name="Everflow",
    docs=(
        "https://helpdesk.everflow.io/en/articles/6173403-a-guide-to-parameters-and-macros",
        "https://helpdesk.everflow.io/customer/"
        "postback-tracking-link-configurations-for-affiliate-marketing-platforms",
        "https://getcake.freshdesk.com/support/solutions/articles/"
        "13000100633-how-to-integrate-with-everflow",
        "https://mrpostback.com/everflow/",
    ),
    macros={
        "click_id": SUBS,
        "event_type": ("event_name", "event_id"),
        "payout_amount": ("payout_amount",),
        "gross_amount": ("sale_amount",),
    },
    other_macros=("transaction_id", "affiliate_id", "offer_id", "source_id"),
    notes=(
        "{transaction_id} is Everflow's click id, not a conversion id: pass the hub's "
        "click id as sub1-sub5 and map it back from {sub1}-{sub5}."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [EVERFLOW]
