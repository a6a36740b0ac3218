"""MyAffiliates: the click id travels in ``{payload}``.

Docs: https://doc.voluum.com/article/myaffiliates-and-voluum

The event is chosen per postback in the MyAffiliates UI (no event macro): configure one
Postback URL per event. The click id can be stored in ``{payload}``, ``{s2s.req_id}`` or
``{s2s.pub_id}``. Payout is static (no payout macro). MyAffiliates fires plain HTTP and
batches postbacks (an FTD may arrive once a day).
"""

from plugins import Signature, hookimpl

MYAFFILIATES = Signature(
    id="myaffiliates",
    name="MyAffiliates",
    docs=("https://doc.voluum.com/article/myaffiliates-and-voluum",),
    macros={"click_id": ("payload", "s2s.req_id", "s2s.pub_id")},
    event_map={"Registrations": "registration", "First Deposit Count": "ftd"},
    per_event_urls=True,
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [MYAFFILIATES]
