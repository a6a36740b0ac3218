"""Binomo affiliate program (binpartner): the event is a parameter *name*.

Docs: https://binpartner.com/en/postback_manual

Binomo appends ``{event}=true`` to the affiliate's URL (``reg=true`` on registration);
the affiliate may rename the flag. Documented events: registration, mail confirmation,
first deposit, subsequent deposit, app installed; only ``reg`` is named in the public
manual, so only it is mapped. Configure one Postback URL per event
(``/pb/<token>/reg``). Amounts are in USD.

This module has code because of the flag: ``reg`` counts as evidence only when its
value is a true flag, not when some other network happens to use ``reg`` for data.
"""

from app.core.sample import Sample
from plugins import Evidence, Signature, hookimpl

FLAGS = {"reg": "registration"}
TRUE = {"true", "1", "yes"}


class FlagEventSignature(Signature):
    def detect(self, sample: Sample) -> Evidence:
        evidence = super().detect(sample)
        flags = [p for p in sample.params if p.name.casefold() in FLAGS]
        if flags and all(p.value.strip().casefold() not in TRUE for p in flags):
            return Evidence(0.0, ("event flags without a true value",), False)
        return evidence


BINOMO = FlagEventSignature(
    id="binomo",
    name="Binomo (binpartner)",
    docs=("https://binpartner.com/en/postback_manual",),
    macros={"click_id": ("click_id",)},
    params={"click_id": ("click_id",)},
    other_params=tuple(FLAGS),
    event_map=FLAGS,
    per_event_urls=True,
)


@hookimpl
def pbhub_signatures() -> list[Signature]:
    return [BINOMO]
