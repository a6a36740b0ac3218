"""Post Affiliate Pro: the merchant-side sale pixel (PascalCase keys).

Docs: https://support.qualityunit.com/492724-General-sales--leads-tracking

Keys: ``AccountId``, ``ActionCode``, ``FixedCost``, ``TotalCost``, ``OrderID``,
``ProductID``, ``data1``-``data5``, ``AffiliateID``, ``CampaignID``, ``BannerID``,
``ChannelID``, ``visitorId``. Using ``visitorId`` as the click id on ``sale.php`` is not
shown in the public page (it is PAP's visitor id on ``track.php``). Status A/P/D and
currency exist only in PAP's JSON sale format. No outgoing affiliate postback format of
PAP was found.
"""

from plugins import Signature, hookimpl

POST_AFFILIATE_PRO = Signature(
    id="post_affiliate_pro",
    name="Post Affiliate Pro",
    docs=("https://support.qualityunit.com/492724-General-sales--leads-tracking",),
    params={
        "click_id": ("visitorId",),
        "event_type": ("ActionCode",),
        "transaction_id": ("OrderID",),
        "gross_amount": ("TotalCost",),
    },
    other_params=(
        "AccountId",
        "FixedCost",
        "ProductID",
        "AffiliateID",
        "CampaignID",
        "BannerID",
        "ChannelID",
        *(f"data{n}" for n in range(1, 6)),
    ),
    status_map={"A": "approved", "P": "pending", "D": "rejected"},
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [POST_AFFILIATE_PRO]
