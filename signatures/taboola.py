"""Taboola's receiving side: its S2S conversion postback URL.

Docs: https://developers.taboola.com/pixel/docs/the-postback-url
Also: https://developers.taboola.com/pixel/docs/bulk-submit-s2s-conversions

Taboola is a traffic source; a tracker (or a network) calls
``trc.taboola.com/actions-handler/log/3/s2s-action?click-id=CLICK_ID&name=EVENT_NAME&
revenue=REVENUE&currency=CURRENCY&orderid=ORDER_ID``. The keys are Taboola's, the
values the sender's macros, so detection goes by parameter names: ``click-id`` (the
Taboola click id, "must be named click-id, exactly as shown"), ``name`` (the event name
as defined in Realize, case-sensitive), and the optional dynamic values ``revenue``,
``currency`` (3-letter code) and ``orderid``.

Traps: ``click-id`` has a hyphen, not an underscore. ``revenue`` is the conversion
value Taboola optimises on; a tracker normally forwards its payout there, so it is read
as the payout. Event names are the advertiser's own, so there is no fixed event map.

Not verified: the rest of the optional-parameter table (the page mentions quantity in
passing but its key name was not readable), so nothing else is declared.
"""

from plugins import Signature, hookimpl

TABOOLA = Signature(
    id="taboola",
    name="Taboola",
    docs=(
        "https://developers.taboola.com/pixel/docs/the-postback-url",
        "https://developers.taboola.com/pixel/docs/bulk-submit-s2s-conversions",
    ),
    params={
        "click_id": ("click-id",),
        "event_type": ("name",),
        "payout_amount": ("revenue",),
        "payout_currency": ("currency",),
        "transaction_id": ("orderid",),
    },
    notes="Event names are user-defined in Realize: map them per source.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TABOOLA]
