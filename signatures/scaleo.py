"""Scaleo: affiliate-side parameters.

Docs: https://help.scaleo.io/article/384-affiliate-parameters

Confirmed affiliate macros: ``{affiliate_id}``, ``{aff_click_id}``, ``{sub_id1}``-
``{sub_id5}``, ``{aff_param1}``-``{aff_param5}``, ``{link_id}``, ``{creative_id}``,
``{idfa}``, ``{gaid}``. The payout, currency and goal macros of Scaleo's affiliate
postback could not be verified from the public page, so they are not listed.
"""

from plugins import Signature, hookimpl

SCALEO = Signature(
    id="scaleo",
    name="Scaleo",
    docs=("https://help.scaleo.io/article/384-affiliate-parameters",),
    macros={"click_id": ("aff_click_id",)},
    other_macros=(
        "affiliate_id",
        "link_id",
        "creative_id",
        "idfa",
        "gaid",
        *(f"sub_id{n}" for n in range(1, 6)),
        *(f"aff_param{n}" for n in range(1, 6)),
    ),
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [SCALEO]
