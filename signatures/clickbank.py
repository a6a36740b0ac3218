"""ClickBank: affiliate postbacks not verifiable, so no signature is registered.

Docs:
https://support.clickbank.com/hc/en-us/articles/26572131282964-Postback-Pixels-Guide
https://support.clickbank.com/hc/en-us/articles/26455062697620-Affiliate-Tracking-Parameters
https://help.redtrack.io/knowledgebase/clickbank

Verified: ``tid`` is ClickBank's affiliate tracking parameter on HopLinks; the value is
stored with the order and returned to the affiliate's integrations, so the hub's click
id goes on the HopLink as ``tid=`` (since June 2024 ``extclid`` and other affiliate
tracking parameters exist too). ClickBank has two ways to notify: the Instant
Notification Service (INS), which POSTs an *encrypted* JSON body (``notification`` and
``iv``, decrypted with the account's secret key), and the newer S2S Postback/Pixels
feature, whose guide has a "Postback macros" section. INS events include sale, rebill,
upsell, refund, chargeback and subscription changes.

Not verifiable: the names and syntax of the Postback/Pixels macros. The stored copies
of ClickBank's guide stop before the macro section, and tracker pages and public code
disagree on them (``[tid]``/``[amount]`` in one, ``{receipt}`` in another), so none is
declared here. INS is not a URL with macros and cannot be read by URL detection at all.
A signature without evidence could never be recognised, so this module registers none;
add the macros with a citation once a public page shows them.
"""

from plugins import Signature, hookimpl

DOCS = (
    "https://support.clickbank.com/hc/en-us/articles/26572131282964-Postback-Pixels-Guide",
    "https://support.clickbank.com/hc/en-us/articles/26455062697620-Affiliate-Tracking-Parameters",
    "https://help.redtrack.io/knowledgebase/clickbank",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return []
