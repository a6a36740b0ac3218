"""Rank every signature against a pasted URL and say what the URL is.

* **recognised**: one network (or several that read the URL the same way) has distinctive
  evidence, clearly beats the rest, and finds the click id;
* **ambiguous**: some are plausible but none clearly wins, or the winner cannot say
  which parameter carries the click id (ranked, with what tells them apart);
* **unknown**: nothing plausible. Generic names alone (``{click_id}``, ``{payout}``)
  never reach *recognised*: every network could have sent them.

Whatever the outcome, the generic reader (``app.core.reader``) reads the URL too: its map
is the answer for an unknown network, and it fills the fields a signature leaves empty,
so a recognised map never loses what the URL says. A sample postback (an arrived URL)
given beside the template decides between candidates by what its values look like.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from app.core.mapping import normalise_label
from app.core.reader import FIELD_WORDS, FITTING_SHAPES, FieldReading, Reading, read
from app.core.sample import Sample, parse_sample
from app.core.shapes import value_shape
from app.core.vocabulary import EVENTS, STATUS_SYNONYMS
from plugins.signature import Evidence, Signature

RECOGNISED_SCORE = 2.0
RECOGNISED_MARGIN = 1.0
PLAUSIBLE_SCORE = 1.5
MAX_CANDIDATES = 5
#: How much better one candidate must fit a sample postback's values to be chosen by them.
SAMPLE_MARGIN = 1.0


@dataclass(frozen=True)
class Candidate:
    signature: Signature
    evidence: Evidence
    #: The signature's readings, completed by the generic reader's where it had none.
    fields: dict[str, FieldReading]
    #: Fields the generic reader filled, not the signature.
    completed: frozenset[str] = frozenset()
    event_map: Mapping[str, str] = field(default_factory=dict)
    #: Other plausible networks that read this URL exactly the same way.
    agreeing: tuple[Signature, ...] = ()

    @property
    def field_map(self) -> dict[str, str]:
        return {name: reading.param for name, reading in self.fields.items()}

    @property
    def finds_click(self) -> bool:
        return "click_id" in self.fields

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.signature.id,
            "name": self.signature.name,
            "score": self.evidence.score,
            "reasons": list(self.evidence.reasons),
            "field_map": self.field_map,
            "fields": {
                name: {
                    **reading.to_dict(),
                    "by": "reader" if name in self.completed else "signature",
                }
                for name, reading in self.fields.items()
            },
            "event_map": dict(self.event_map),
            "status_map": dict(self.signature.status_map),
            "per_event_urls": self.signature.per_event_urls,
            "agreeing": [s.id for s in self.agreeing],
        }


@dataclass(frozen=True)
class Detection:
    outcome: str  # recognised | ambiguous | unknown
    sample: Sample
    candidates: tuple[Candidate, ...]
    confidence: float
    differences: tuple[str, ...] = ()
    #: The generic reader's map of the URL, signature or not.
    reading: Reading = field(default_factory=lambda: Reading({}))
    #: Why a sample postback chose the candidate, when one did.
    decided_by_sample: str | None = None

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def suggested_field_map(self) -> dict[str, str]:
        """For an arrived URL: what its names and values suggest (a capture's suggestion)."""
        return {} if self.sample.is_template else self.reading.field_map

    def to_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "confidence": self.confidence,
            "template": self.sample.is_template,
            "keys": list(self.sample.keys),
            "candidates": [c.to_dict() for c in self.candidates],
            "differences": list(self.differences),
            "reader": self.reading.to_dict(),
            "decided_by_sample": self.decided_by_sample,
            "suggested_field_map": self.suggested_field_map,
        }


def detect(
    url: str | Sample,
    signatures: Iterable[Signature],
    sample_postback: str | Sample | None = None,
) -> Detection:
    sample = parse_sample(url) if isinstance(url, str) else url
    reading = read(sample)
    scored = sorted(
        (
            (evidence, signature)
            for signature in signatures
            if (evidence := signature.detect(sample)).score >= PLAUSIBLE_SCORE
        ),
        key=lambda pair: (-pair[0].score, pair[1].id),
    )
    # Only plausible candidates get a field map: the rest are never shown. A candidate
    # on generic names alone that reads the URL just as the generic reader does says
    # nothing of the network: it is no candidate.
    candidates = [
        _candidate(signature, evidence, sample, reading) for evidence, signature in scored
    ]
    groups = _agreeing(
        [c for c in candidates if c.evidence.distinctive or c.field_map != reading.field_map]
    )
    if not groups:
        return Detection("unknown", sample, (), 0.0, reading=reading)
    decided = None
    if sample_postback is not None and len(groups) > 1:
        arrived = (
            parse_sample(sample_postback) if isinstance(sample_postback, str) else sample_postback
        )
        groups, decided = _decide_by_values(groups, arrived)
    best = groups[0]
    runner_up = groups[1].evidence.score if len(groups) > 1 else 0.0
    confidence = round(best.evidence.score / (best.evidence.score + runner_up + 2.0), 2)
    if best.finds_click and (decided or _clearly_best(best, runner_up)):
        if decided:
            confidence = max(confidence, 0.75)
        return Detection("recognised", sample, (best,), confidence, (), reading, decided)
    shown = tuple(groups[:MAX_CANDIDATES])
    return Detection("ambiguous", sample, shown, confidence, _differences(shown), reading)


def _clearly_best(best: Candidate, runner_up: float) -> bool:
    score = best.evidence.score
    return (
        best.evidence.distinctive
        and score >= RECOGNISED_SCORE
        and score - runner_up >= RECOGNISED_MARGIN
    )


def _candidate(
    signature: Signature, evidence: Evidence, sample: Sample, reading: Reading
) -> Candidate:
    """The signature's map, completed with the reader's readings of the parameters the
    signature has nothing to say about."""
    fields = _signature_fields(signature, sample)
    used = {r.param for r in fields.values()}
    silent = {p.name for p in sample.params if not signature.knows(p)} - used
    completed = set()
    for name, found in reading.fields.items():
        if name not in fields and found.param in silent:
            fields[name] = found
            completed.add(name)
            if name != "gross_currency":  # one currency may serve both amounts
                silent.discard(found.param)
    event_map = dict(signature.event_map)
    if "event_type" in completed:  # a literal the template fixes: its label is mapped too
        for label, canonical in reading.event_map.items():
            event_map.setdefault(label, canonical)
    ordered = {name: fields[name] for name in FIELD_WORDS if name in fields}
    return Candidate(signature, evidence, ordered, frozenset(completed), event_map)


def _signature_fields(signature: Signature, sample: Sample) -> dict[str, FieldReading]:
    """``read_fields``, or for a plugin written against ``field_map`` alone, its map."""
    if type(signature).field_map is Signature.field_map:
        return signature.read_fields(sample)
    reason = f"{signature.name}'s signature maps it"
    return {
        name: FieldReading(param, 0.9, reason)
        for name, param in signature.field_map(sample).items()
    }


def _agreeing(candidates: list[Candidate]) -> list[Candidate]:
    """Candidates with the same map and no conflicting labels are one answer: the
    best-scored one, naming the others."""
    groups: list[Candidate] = []
    for candidate in candidates:
        for index, group in enumerate(groups):
            if group.field_map == candidate.field_map and _compatible(
                group.event_map, candidate.event_map
            ):
                groups[index] = replace(
                    group,
                    agreeing=(*group.agreeing, candidate.signature),
                    event_map={**candidate.event_map, **group.event_map},
                )
                break
        else:
            groups.append(candidate)
    return groups


def _compatible(one: Mapping[str, str], other: Mapping[str, str]) -> bool:
    folded = {normalise_label(k): v for k, v in one.items()}
    return all(folded.get(normalise_label(k), v) == v for k, v in other.items())


def _decide_by_values(
    groups: list[Candidate], arrived: Sample
) -> tuple[list[Candidate], str | None]:
    """Rank the candidates by how well the sample postback's values fit their maps."""
    fits = [(_fit(candidate, arrived), index) for index, candidate in enumerate(groups)]
    fits.sort(key=lambda pair: (-pair[0][0], pair[1]))
    (best_fit, reasons), best_index = fits[0]
    second_fit = fits[1][0][0]
    ranked = [groups[index] for _, index in fits]
    if best_fit - second_fit < SAMPLE_MARGIN:
        return ranked, None
    winner = groups[best_index]
    why = f"the sample postback's values fit {winner.signature.name}'s map best"
    return ranked, f"{why}: {'; '.join(reasons)}" if reasons else why


def _fit(candidate: Candidate, arrived: Sample) -> tuple[float, list[str]]:
    score = 0.0
    reasons: list[str] = []
    for name, reading in candidate.fields.items():
        param = arrived.param(reading.param)
        if param is None:
            score -= 1.0
            continue
        delta = _value_fits(name, param.value, candidate)
        score += delta
        if delta >= 1.0:
            reasons.append(f"{reading.param}={param.value[:24]} is a {name}")
    return score, reasons


def _value_fits(name: str, value: str, candidate: Candidate) -> float:
    shape = value_shape(value)
    label = normalise_label(value)
    if shape == "empty":
        return -0.5
    if name in FITTING_SHAPES:  # amounts and currencies
        return 1.0 if shape in FITTING_SHAPES[name] else -2.0
    if name == "event_type":
        labels = {normalise_label(k) for k in candidate.event_map}
        return 2.0 if label in labels or label in EVENTS else 0.0
    if name == "status":
        labels = {normalise_label(k) for k in candidate.signature.status_map}
        return 1.0 if label in labels or label in STATUS_SYNONYMS else -0.5
    if name == "click_id":
        if shape == "click_token":
            return 3.0
        return 1.0 if shape in ("identifier", "text", "integer") and len(value) >= 6 else -1.0
    return 0.5 if shape not in ("decimal", "currency") else -0.5


def _differences(candidates: tuple[Candidate, ...]) -> tuple[str, ...]:
    """For each candidate, the evidence only it accounts for: what to look at to choose."""
    lines = []
    for candidate in candidates:
        others = set().union(*(c.evidence.recognised for c in candidates if c is not candidate))
        own = sorted(candidate.evidence.recognised - others)
        if own:
            line = f"{candidate.signature.name}: only it explains {', '.join(own)}"
        else:
            line = f"{candidate.signature.name}: nothing the others do not explain too"
        if not candidate.finds_click:
            line += "; and no parameter of this URL carries its click id"
        lines.append(line)
    return tuple(lines)
