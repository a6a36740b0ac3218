"""FirstPromoter: promoter postbacks with Liquid variables, ``{{visitor.sub_id}}``.

Docs:
https://help.firstpromoter.com/en/articles/9625829-how-to-set-up-postbacks-on-firstpromoter
https://linkclicky.com/support/firstpromoter-affiliate-postback-setup/ (third-party
integration guide)

Postbacks are set per trigger, one URL each: "New referral" (sign-up, no transaction
data), "New customer" (the referral's first payment) and "New commission" (every
payment that earns the promoter a commission); an older version of the page names them
"Lead Signup" and "Reward Created". The promoter's click id must reach FirstPromoter as
``fp_sid`` on the referral link and comes back as ``{{visitor.sub_id}}``.

Verified (FirstPromoter's page): ``{{visitor.sub_id}}`` (click id), ``{{event.id}}``
(event id), ``{{event.etype}}`` (event type), ``{{reward.id}}`` (transaction id, older
version of the page) and ``{{reward.amount | divided_by: 100.0}}`` (the reward, i.e.
the promoter's commission, in dollars; the page also labels it "conversion amount",
which reads as a slip since it is the same expression). LinkClicky's guide adds
``{{reward.conversion_amount | divided_by: 100.0}}`` for the sale value.

The amounts are Liquid expressions with a filter, which the shared URL parser does not
read as macros; this module has code that does: ``{{name | filter...}}`` counts as the
macro ``name``.

Not verified: a currency, a status or a customer-id variable. ``{{event.etype}}`` values
are not listed, so there is no event map for it; the trigger names map as below.
"""

from plugins import Signature, hookimpl

FIRSTPROMOTER = Signature(
    id="firstpromoter",
    name="FirstPromoter",
    docs=(
        "https://help.firstpromoter.com/en/articles/"
        "9625829-how-to-set-up-postbacks-on-firstpromoter",
        "https://linkclicky.com/support/firstpromoter-affiliate-postback-setup/",
    ),
    syntaxes=("{{x}}",),
    macros={
        "click_id": ("visitor.sub_id",),
        "event_type": ("event.etype",),
        "transaction_id": ("reward.id", "event.id"),
        "payout_amount": ("reward.amount",),
        "gross_amount": ("reward.conversion_amount",),
    },
    event_map={
        "New referral": "registration",
        "Lead Signup": "registration",
        "New customer": "ftd",
        "New commission": "cpa",
        "Reward Created": "cpa",
    },
    per_event_urls=True,
    notes=(
        "Pass the click id as fp_sid on the referral link. Amounts are sent as "
        "{{reward.amount | divided_by: 100.0}} (cents to dollars); no currency variable, "
        "so set the source's default currency."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [FIRSTPROMOTER]
