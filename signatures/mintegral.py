"""Mintegral's receiving side: its install and event postback URLs.

Docs: https://adv.mintegral.com/doc/en/integration/quickStart/postback

Mintegral is a (mobile) traffic source; the advertiser's attribution tool calls
``postback.mintegral.net/install?campuuid={uuid}&clickid={click_id}&idfa={idfa}&type=s2s&
install_time={install_time}`` or ``postback.mintegral.net/event?...&event_time=
{event_time}&event_name={event_name}``. Keys from the parameter table: ``clickid``
(required, Mintegral's click id), ``campuuid`` (required, the promotion id), device ids
``idfa``, ``gaid``, ``imei``, ``devid``, ``mac`` and their ``md5_`` forms, and from the
examples ``type``, ``install_time``, ``event_time`` and ``event_name``. Detection goes
by these names; ``campuuid`` is the distinctive one.

Traps: install and event postbacks are two URLs (``/install`` and ``/event``); an
install carries no ``event_name``. Event names are the advertiser's own, so there is no
fixed event map.

Not verified: a revenue, currency or transaction-id key (the table was only readable
as far as the device ids), so none is declared.
"""

from plugins import Signature, hookimpl

MINTEGRAL = Signature(
    id="mintegral",
    name="Mintegral",
    docs=("https://adv.mintegral.com/doc/en/integration/quickStart/postback",),
    params={
        "click_id": ("clickid",),
        "event_type": ("event_name",),
    },
    other_params=(
        "campuuid",
        "idfa",
        "md5_idfa",
        "gaid",
        "md5_gaid",
        "imei",
        "md5_imei",
        "devid",
        "md5_devid",
        "mac",
        "md5_mac",
        "type",
        "install_time",
        "event_time",
    ),
    notes="Installs and events are separate URLs; installs carry no event_name.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [MINTEGRAL]
