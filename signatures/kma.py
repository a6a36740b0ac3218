"""KMA.biz (nutra CPA): global postback macros ``{data1}``, ``{sum}``, ``{status}``.

Docs: https://wiki.kadam.net/en/index.php?title=Configuring_postback_for_KMA
Also: https://help.peerclick.com/docs/kmabiz-integration

KMA's global postback (Tools - Global Postback, method GET, all statuses) as the Kadam
ad network documents it: ``postback/?data={data1}&partner=kma&cost={sum}&
status={status}``, with the click id passed to the KMA stream in its Data1 field and
returned by ``{data1}``; ``{sum}`` is the conversion amount and ``{status}`` the lead's
status. PeerClick's guide confirms a global postback and KMA-specific macros (shown
only as a picture).

Traps: ``{data1}`` is the only KMA-specific name; ``{sum}`` and ``{status}`` are also
Affise's. A lead posts again on each status change.

Not verified on KMA's own pages (behind its login): the status values, a lead-id macro
and the other data fields, so none is declared.
"""

from plugins import Signature, hookimpl

KMA = Signature(
    id="kma",
    name="KMA.biz",
    docs=(
        "https://wiki.kadam.net/en/index.php?title=Configuring_postback_for_KMA",
        "https://help.peerclick.com/docs/kmabiz-integration",
    ),
    macros={
        "click_id": ("data1",),
        "payout_amount": ("sum",),
        "status": ("status",),
    },
    notes="Status values are KMA's own: map them per source.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [KMA]
