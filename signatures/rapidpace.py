"""RapidPace: no public postback documentation found, so no signature is registered.

Docs: none found. Searched for RapidPace's affiliate/publisher postback documentation
(help centre, tracker integration guides, public code and issue trackers); no page
names RapidPace's postback macros, their syntax, or the tracking platform it runs on.

Not verifiable: every field (click id, event, status, transaction id, payout, currency,
sale amount, user id). Nothing is declared and nothing is registered: a signature
without evidence could never be recognised. If RapidPace turns out to run on a known
platform (Everflow, CAKE, TUNE, Affise...), that platform's signature already covers
its postbacks; otherwise add the macros here with a citation once a public page shows
them.
"""

from plugins import Signature, hookimpl


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return []
