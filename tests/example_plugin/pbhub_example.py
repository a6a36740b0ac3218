"""A signature shipped as its own pip package: the smallest complete example.

Its ``pbhub_example-1.0.dist-info`` beside it is what ``pip install`` would write; the
``entry_points.txt`` there declares the ``pbhub.signatures`` entry point.
"""

from plugins import Signature, hookimpl

EXAMPLE = Signature(
    id="example_network",
    name="Example Network",
    docs=("https://example.invalid/postback-docs",),
    syntaxes=("[[x]]",),
    macros={"click_id": ("example_click",), "payout_amount": ("example_payout",)},
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [EXAMPLE]
