"""TUNE / HasOffers receiving side: ``transaction_id`` is the *click*.

Docs: https://affise.zendesk.com/hc/en-us/articles/115002004069-Affise-Tune-HasOffers-

The trap: in TUNE, ``transaction_id`` is the click's transaction (what we call the click
id), not a conversion id. Other advertiser-postback fields (amount, adv_sub1-5, goal_id,
status, security_token) exist, but their exact URL keys are not confirmed by the public
pages, so only ``transaction_id`` is mapped.
"""

from plugins import Signature, hookimpl

TUNE = Signature(
    id="tune",
    name="TUNE / HasOffers",
    docs=("https://affise.zendesk.com/hc/en-us/articles/115002004069-Affise-Tune-HasOffers-",),
    params={"click_id": ("transaction_id",)},
    distinctive=("transaction_id",),
    notes="transaction_id carries the click id here, never a conversion id.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [TUNE]
