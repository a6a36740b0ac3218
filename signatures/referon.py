"""ReferOn (iGaming affiliate platform): affiliate postbacks (S2S pixels).

Docs: https://help.referon.com/en_US/affiliate-media/postbacks-s2s-pixels
and https://help.referon.com/en_US/affiliate-interface-release-notes/1910-release-notes

Verified: one postback URL per type (Registration, First Deposit, Qualified CPA; the
last is sent on data frequency, after the reward plan's threshold is checked), set per
affiliate, brand, media campaign or media item. The affiliate pastes the URL and clicks
"Parse"; values are then matched by *parameter name*: a variable tracked on the link
(``clickid``, ``subid``) comes back under the parameter of the same name. Automatic
variables are picked with the edit icon while parsing: event time, event type, customer
ID, affiliate ID, ``mid``, ``brandguid``, ``fluid``, currency.

Not verifiable: how those variables are written in the URL (no macro syntax is shown in
the public pages), so no macro is declared and ReferOn cannot be recognised from a
template; the parameter names are the affiliate's own. Only the event labels are
declared, for the per-event Postback URLs.
"""

from plugins import Signature, hookimpl

DOCS = (
    "https://help.referon.com/en_US/affiliate-media/postbacks-s2s-pixels",
    "https://help.referon.com/en_US/affiliate-interface-release-notes/1910-release-notes",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    """Nothing to register until the macros can be cited (see above)."""
    return []
