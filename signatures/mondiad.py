"""Mondiad's receiving side: ``postback.mondiad.com/track?uid=..&clickid=..&payout=..``.

Docs: https://docs.bemob.com/en/mondiad (BeMob's traffic-source preset for Mondiad)

Mondiad is a push/native/pop traffic source. BeMob's preset gives its postback as
``https://postback.mondiad.com/track?uid=REPLACE&clickid={externalId}&payout={payout}``:
``uid`` is "your unique Mondiad ID" (the account, copied from Mondiad's side in place
of REPLACE), ``clickid`` the conversion's click id (Mondiad's external id, returned by
the tracker's ``{externalId}``) and ``payout`` the revenue received for the conversion.

Traps: all three names look generic; ``uid`` is the account here, not a user id, and is
what points at Mondiad (``distinctive``), so it is never read as the external user id.
But only beside ``clickid``: a tracker whose click id is ``uid`` (``uid=#s2#&payout=``)
is no Mondiad postback, so without ``clickid`` the ``uid`` counts as a generic name.
Mondiad's own blog ("how to set up conversion tracking") describes the flow but its
parameter list could not be read.

Not verified: a currency, event or transaction-id key, so none is declared.
"""

from app.core.sample import Sample
from plugins import Signature, hookimpl
from plugins.signature import STRONG_PARAM, WEAK_PARAM, Evidence


class AccountKeySignature(Signature):
    """``uid`` points at Mondiad only beside Mondiad's ``clickid``."""

    def detect(self, sample: Sample) -> Evidence:
        evidence = super().detect(sample)
        names = {p.name.casefold() for p in sample.params}
        if "uid" not in names or "clickid" in names:
            return evidence
        return Evidence(
            round(evidence.score - (STRONG_PARAM - WEAK_PARAM), 2),
            (*evidence.reasons, "uid without clickid is anybody's user id, not Mondiad's account"),
            False,
            evidence.recognised,
        )


MONDIAD = AccountKeySignature(
    id="mondiad",
    name="Mondiad",
    docs=("https://docs.bemob.com/en/mondiad",),
    params={
        "click_id": ("clickid",),
        "payout_amount": ("payout",),
    },
    other_params=("uid",),
    distinctive=("uid",),
    notes="uid is the Mondiad account id, not a user id; no currency key is documented.",
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [MONDIAD]
