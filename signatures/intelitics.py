"""Intelitics (iGaming): ``%token%`` pixels, ``s1``-``s5`` on the tracking link.

Docs: https://help.intelitics.com/en/articles/7203879-how-a-partner-can-set-their-pixels

The docs recommend ``s5`` for the unique S2S click id. Their token table is an image,
so the exact spelling ``%s5%`` is inferred from the stated ``%`` convention rather
than read from text. The event (Install, Registration, Deposit, Qualified Deposit) is
chosen per pixel: one Postback URL per event.
"""

from plugins import Signature, hookimpl

INTELITICS = Signature(
    id="intelitics",
    name="Intelitics",
    docs=("https://help.intelitics.com/en/articles/7203879-how-a-partner-can-set-their-pixels",),
    syntaxes=("%x%",),
    macros={"click_id": ("s5", "s1", "s2", "s3", "s4")},
    event_map={
        "Registration": "registration",
        "Deposit": "deposit",
        "Qualified Deposit": "qftd",
        "Install": "unknown",
    },
    per_event_urls=True,
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [INTELITICS]
