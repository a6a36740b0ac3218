"""Rank every signature against a pasted URL and say what the URL is.

* **recognised**: one signature has distinctive evidence and clearly beats the rest;
* **ambiguous**: some are plausible but none clearly wins (ranked, with what tells them
  apart);
* **unknown**: nothing plausible. Generic names alone (``{click_id}``, ``{payout}``)
  never reach *recognised*: every network could have sent them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.core.sample import Sample, parse_sample
from app.core.shapes import suggest_field_map
from plugins.signature import Evidence, Signature

RECOGNISED_SCORE = 2.0
RECOGNISED_MARGIN = 1.0
PLAUSIBLE_SCORE = 1.5
MAX_CANDIDATES = 5


@dataclass(frozen=True)
class Candidate:
    signature: Signature
    evidence: Evidence
    field_map: dict[str, str]

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.signature.id,
            "name": self.signature.name,
            "score": self.evidence.score,
            "reasons": list(self.evidence.reasons),
            "field_map": self.field_map,
            "event_map": dict(self.signature.event_map),
            "status_map": dict(self.signature.status_map),
            "per_event_urls": self.signature.per_event_urls,
        }


@dataclass(frozen=True)
class Detection:
    outcome: str  # recognised | ambiguous | unknown
    sample: Sample
    candidates: tuple[Candidate, ...]
    confidence: float
    differences: tuple[str, ...] = ()
    #: For an arrived URL (values, no macros): what the values' shapes and names suggest,
    #: the only signal left when the parameter names are the operator's own.
    suggested_field_map: dict[str, str] = field(default_factory=dict)

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def to_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "confidence": self.confidence,
            "template": self.sample.is_template,
            "keys": list(self.sample.keys),
            "candidates": [c.to_dict() for c in self.candidates],
            "differences": list(self.differences),
            "suggested_field_map": self.suggested_field_map,
        }


def detect(url: str | Sample, signatures: Iterable[Signature]) -> Detection:
    sample = parse_sample(url) if isinstance(url, str) else url
    scored = sorted(
        (
            (evidence, signature)
            for signature in signatures
            if (evidence := signature.detect(sample)).score >= PLAUSIBLE_SCORE
        ),
        key=lambda pair: (-pair[0].score, pair[1].id),
    )
    # Only plausible candidates get a field map: the rest are never shown.
    plausible = tuple(
        Candidate(signature, evidence, signature.field_map(sample))
        for evidence, signature in scored
    )
    suggested = {} if sample.is_template else suggest_field_map(sample)
    if not plausible:
        return Detection("unknown", sample, (), 0.0, suggested_field_map=suggested)
    best = plausible[0]
    runner_up = plausible[1].evidence.score if len(plausible) > 1 else 0.0
    confidence = round(best.evidence.score / (best.evidence.score + runner_up + 2.0), 2)
    if (
        best.evidence.distinctive
        and best.evidence.score >= RECOGNISED_SCORE
        and best.evidence.score - runner_up >= RECOGNISED_MARGIN
    ):
        return Detection("recognised", sample, (best,), confidence, (), suggested)
    shown = plausible[:MAX_CANDIDATES]
    return Detection("ambiguous", sample, shown, confidence, _differences(shown), suggested)


def _differences(candidates: tuple[Candidate, ...]) -> tuple[str, ...]:
    """For each candidate, the evidence only it accounts for: what to look at to choose."""
    lines = []
    for candidate in candidates:
        others = set().union(*(c.evidence.recognised for c in candidates if c is not candidate))
        own = sorted(candidate.evidence.recognised - others)
        if own:
            lines.append(f"{candidate.signature.name}: only it explains {', '.join(own)}")
        else:
            lines.append(f"{candidate.signature.name}: nothing the others do not explain too")
    return tuple(lines)
