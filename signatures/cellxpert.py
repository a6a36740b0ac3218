"""Cellxpert (iGaming / trading affiliate platform): affiliate pixels in ``[x]`` syntax.

Docs:
https://help-partnerships.fiverr.com/hc/en-us/articles/16283305007121-Adding-dynamic-parameters
(Fiverr's affiliate programme, which runs on Cellxpert: ``?bta=<affiliate id>`` links and
"AFP" affiliate parameters, see
https://affiliates.fiverr.com/fiverr-affiliates-start-guide/) and
http://support.trackingdesk.com/en/articles/60868-pixel-tracking-methods (Cellxpert
supports one global server pixel per account).

What could be verified: the pixel (postback) code takes placeholders in square brackets,
``[TrackingCode]`` returning the link's Tracking Code. No Cellxpert-hosted documentation
could be found; the page above is a client's help centre, and its list of placeholders
is cut off after the first of "two parameters" in the stored copy.

Trap: the Tracking Code holds at most 500 distinct values and is meant for channel
names, so it is *not* mapped as the click id. Click ids go in the AFP parameters (up
to ten per link); the placeholder that returns them in a pixel could not be read, nor
any payout, currency, deposit, event or player-id placeholder. Until they are verified,
a Cellxpert template is recognised by ``[TrackingCode]`` and the ``[x]`` syntax only,
and its field map has to be completed by hand.
"""

from plugins import Signature, hookimpl

CELLXPERT = Signature(
    id="cellxpert",
    name="Cellxpert",
    docs=(
        "https://help-partnerships.fiverr.com/hc/en-us/articles/"
        "16283305007121-Adding-dynamic-parameters",
        "https://affiliates.fiverr.com/fiverr-affiliates-start-guide/",
        "http://support.trackingdesk.com/en/articles/60868-pixel-tracking-methods",
    ),
    syntaxes=("[x]",),
    other_macros=("TrackingCode",),
    notes="[TrackingCode] is channel data, not a click id; the AFP placeholder is unverified.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [CELLXPERT]
