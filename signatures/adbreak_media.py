"""AdBreak Media's receiving side: ``postback.adbreakmedia.com/api/advertisers?clickId=..``.

Docs: https://docs.adbreakmedia.com/advertising/postback

AdBreak Media is an ad network; advertisers notify it of a conversion with a GET to
``https://postback.adbreakmedia.com/api/advertisers``. Query parameters: ``clickId``
(required, "the clickId that we passed to you on tracking url"), ``secretKey``
(required, the account's secret key from settings/api-credentials) and ``eventId``
("only required if you are running multi-event campaign, it help us to determine which
event got completed"). The documented example: ``?clickId=m28rGeucSHtb2aNoMJz3HEV7PDhQym&
secretKey=EU27kXq6DnGaHcNUhWSE6upqtGP7D7&eventId=1``. Detection goes by these names;
``secretKey`` and ``eventId`` tell AdBreak Media apart.

Traps: ``eventId`` is the id of one of the campaign's events (``1`` in the example), not
an event name, so event labels are per campaign; ``secretKey`` is a secret. AdBreak
Media's publisher (offerwall) postback is a different, sending-side URL and is not
covered here.

Not verified: a payout, currency or transaction-id key (none is listed), so none is
declared.
"""

from plugins import Signature, hookimpl

ADBREAK_MEDIA = Signature(
    id="adbreak_media",
    name="AdBreak Media",
    docs=("https://docs.adbreakmedia.com/advertising/postback",),
    params={
        "click_id": ("clickId",),
        "event_type": ("eventId",),
    },
    other_params=("secretKey",),
    notes="eventId is a per-campaign event id; secretKey is a secret. No payout key.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADBREAK_MEDIA]
