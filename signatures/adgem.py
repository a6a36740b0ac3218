"""AdGem (offer wall): publisher postback macros, ``{curly}``.

Docs: https://docs.adgem.com/publisher-support/web-postback-setup
Also: https://docs.adgem.com/publisher-support/postback-options
and AdGem's documentation repository, whose macro table is published as
https://adgem.github.io/adgem-integrations-documentation/docs/_partials/postback-macros-table

Recommended macros: ``{transaction_id}`` ("the unique AdGem ID of the offer
conversion"), ``{campaign_id}``, ``{payout}`` ("the decimal amount of revenue earned
from the user completing the offer", the one to validate rewards against), ``{amount}``
(virtual currency to reward, may be empty) and ``{goal_id}``. Others: ``{player_id}``
(the player on the publisher's system), ``{app_id}``, ``{offer_id}`` (Offer API only),
``{offer_name}``, ``{goal_name}``, ``{store_id}``, ``{tracking_type}`` (CPI, CPE, CPA...),
``{ad_type}``, ``{all_goals_completed}``, ``{allow_multiple_conversions}``,
``{click_datetime}``, ``{conversion_datetime}``, and the publisher's own click data passed
back: ``{c1}``-``{c5}``, ``{country}``, ``{state}``, ``{ip}``, ``{platform}``,
``{os_version}``, ``{app_version}``, ``{gaid}``, ``{idfa}``, ``{useragent}``.

Traps: ``{player_id}`` is the wall's user, not a click, so it is the external user id.
On multi-reward offers each goal converts on its own: ``{goal_name}``/``{goal_id}`` are
read as the event. ``{amount}`` is virtual currency, not money. ``{country}`` is the
user's, read as the conversion's country; ``{state}`` is the user's region here (AdGate
uses the same name for a status). Install postbacks, when enabled, reuse the same URL
with ``&nonpayable_install_goal=true`` appended; GET postbacks also carry a
``verifier`` hash.

Not verified: a status or reversal macro and a currency macro, so none is declared;
``{c1}``-``{c5}`` are free publisher values and are not assumed to be a click id.
"""

from plugins import Signature, hookimpl

ADGEM = Signature(
    id="adgem",
    name="AdGem",
    docs=(
        "https://docs.adgem.com/publisher-support/web-postback-setup",
        "https://docs.adgem.com/publisher-support/postback-options",
        "https://adgem.github.io/adgem-integrations-documentation/docs/_partials/"
        "postback-macros-table",
    ),
    macros={
        "external_user_id": ("player_id",),
        "transaction_id": ("transaction_id",),
        "payout_amount": ("payout",),
        "event_type": ("goal_name", "goal_id"),
        "country": ("country",),
    },
    other_macros=(
        "campaign_id",
        "amount",
        "app_id",
        "offer_id",
        "offer_name",
        "store_id",
        "tracking_type",
        "ad_type",
        "all_goals_completed",
        "allow_multiple_conversions",
        "click_datetime",
        "conversion_datetime",
        *(f"c{n}" for n in range(1, 6)),
        "state",
        "ip",
        "platform",
        "os_version",
        "app_version",
        "gaid",
        "idfa",
        "useragent",
    ),
    notes="{payout} is the revenue to trust; {amount} is virtual currency.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [ADGEM]
