"""Adzora's receiving side: ``analytics.adzora.com/tracking/action.json?token=..``.

Docs: https://help.adzora.com/documentation/postback-settings
Also: https://help.dsp.epom.com/docs/attribution-links (Epom DSP's page, same wording)

Adzora is a DSP. The advertiser puts the ``$!{tid}`` macro in the creative's ad markup
or target URL; Adzora fills it with a value that the postback must return. Example for
conversions: ``https://analytics.adzora.com/tracking/action.json?token=$!{tid}&event=0&
price=1.23``. Keys: ``token`` (the ``$!{tid}`` value: the click), ``event`` ("up to 3
different events": 0, 1 or 2, the first, second and third Action of the reports) and
``price`` (the conversion price). Detection goes by these names; ``token`` is
Adzora's click key.

Traps: ``event`` is an index (0/1/2), not an event name, so event labels are per
campaign; ``token`` is the click id here, whereas ClickAdilla's ``token`` is the
account. The click postback (``tracking/click.gif?token=..&rurl=..``) is a different URL.

Not verified: the currency of ``price`` and any transaction-id key, so none is declared.
"""

from plugins import Signature, hookimpl

ADZORA = Signature(
    id="adzora",
    name="Adzora",
    docs=(
        "https://help.adzora.com/documentation/postback-settings",
        "https://help.dsp.epom.com/docs/attribution-links",
    ),
    params={
        "click_id": ("token",),
        "event_type": ("event",),
        "payout_amount": ("price",),
    },
    notes="event is 0, 1 or 2 (the campaign's three Actions); price's currency is unstated.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADZORA]
