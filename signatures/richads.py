"""RichAds (RichPush) receiving side: ``log?action=conversion&key=..&price=..``.

Docs: https://richads.com/blog/postback-access-to-all-richpush-features/
Also: https://kintura.com/docs/presets/pairings/rich-push.co/clickpromise (a tracker's
preset showing the whole URL)

RichAds is a push/pop/native traffic source. Its postback link is copied from the
campaign's "Postback request" setting and its ``[CLICK_ID]`` and ``REVENUE_IN_USD``
parts replaced by the tracker's tokens; RichAds' own page shows the tail
``...{clickid}&price={payout}``, and Kintura's preset the whole URL:
``http://rtb.adx1.com/log?action=conversion&key={externalid}&price={payout}``. Keys:
``key`` (RichAds' click id, the ``[CLICK_ID]`` of the destination URL), ``price`` (the
revenue in USD, optional) and ``action=conversion``.

Traps: ``key`` is the click id here, whereas TrafficStars uses ``key`` for the account.

Not verified on RichAds' own pages: the host and the ``action`` key (only in the
tracker's preset); no currency, event or transaction-id key is known.
"""

from plugins import Signature, hookimpl

RICHADS = Signature(
    id="richads",
    name="RichAds",
    docs=(
        "https://richads.com/blog/postback-access-to-all-richpush-features/",
        "https://kintura.com/docs/presets/pairings/rich-push.co/clickpromise",
    ),
    params={
        "click_id": ("key",),
        "payout_amount": ("price",),
    },
    other_params=("action",),
    notes="price is USD; key is RichAds' click id.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [RICHADS]
