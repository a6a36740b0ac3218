"""GoAffPro (Shopify/WooCommerce affiliate app): the affiliate's S2S callback.

Docs:
https://docs.goaffpro.com/program-management/manage-affiliates/affiliate-profile-settings/send-s2s-callback
and the same list on the project's wiki:
https://github-wiki-see.page/m/anujtenani/goaffpro/wiki/Postback-URL-formatting

Variables are written ``{{...}}`` with dotted names: ``{{order.number}}``,
``{{order.amount}}`` (order total), ``{{order.commission}}`` (the affiliate's
commission), ``{{link.sub_id}}``, ``{{link.hash}}``, ``{{link.path}}`` and
``{{link.query.<param>}}``, any query parameter of the referral link.

The affiliate's click id comes back only through the referral link: ``{{link.sub_id}}``
(the documented sub-id example) or ``{{link.query.<param>}}`` for the parameter the
operator appended it as. That family is open-ended, so this module has code: every
``link.query.*`` name is known and offered as the click id, after ``link.sub_id``.

Not documented: a currency variable, a status variable, a customer id. There are two
callbacks, "Order created" and "Order updated", each with its own URL and no event
variable: one Postback URL per callback. "Order updated" may also mean a refund or a
rejection; its new status is not passed, so it maps to ``unknown``.
"""

from plugins import Signature, hookimpl

LINK_QUERY = "link.query."


class LinkQuerySignature(Signature):
    """``{{link.query.<param>}}`` is a family of macros, not one name."""

    def macro_fields(self, name: str) -> dict[str, int]:
        found = super().macro_fields(name)
        if not found and _link_query(name):
            return {"click_id": len(self.macros["click_id"])}  # after link.sub_id
        return found


def _link_query(name: str) -> bool:
    folded = name.casefold()
    return folded.startswith(LINK_QUERY) and len(folded) > len(LINK_QUERY)


GOAFFPRO = LinkQuerySignature(
    id="goaffpro",
    name="GoAffPro",
    docs=(
        "https://docs.goaffpro.com/program-management/manage-affiliates/"
        "affiliate-profile-settings/send-s2s-callback",
        "https://github-wiki-see.page/m/anujtenani/goaffpro/wiki/Postback-URL-formatting",
    ),
    syntaxes=("{{x}}",),
    macros={
        "click_id": ("link.sub_id",),
        "transaction_id": ("order.number",),
        "gross_amount": ("order.amount",),
        "payout_amount": ("order.commission",),
    },
    other_macros=("link.hash", "link.path"),
    event_map={"Order created": "cpa", "Order updated": "unknown"},
    per_event_urls=True,
    notes=(
        "Any {{link.query.<param>}} is offered as the click id; no currency variable, "
        "so set the source's default currency."
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [GOAFFPRO]
