"""What a network signature is, and how a declarative one scores a pasted URL.

Most networks need no code: which macros they fill each canonical field with, the
parameter names their receiving side fixes (for trackers), and their event and status
labels. ``Signature.detect`` turns that data into a score with reasons; a network with
a real quirk subclasses ``Signature`` and overrides ``detect`` or ``field_map``.

Weights, in words: a macro only this network uses is strong evidence, a generic one
(``{click_id}``, ``{payout}``) is weak, and a macro the network does not have counts
against it. The same goes for fixed parameter names. A rare macro dialect (``#x#``,
``%x%``) is evidence of its own; ``{x}`` is everybody's and says little.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.core.reader import FIELD_WORDS, FieldReading
from app.core.sample import Macro, Param, Sample
from app.core.vocabulary import EVENTS, MAPPABLE_FIELDS, STATUSES

STRONG = 3.0
WEAK = 0.5
STRONG_PARAM = 2.0
WEAK_PARAM = 0.75
FOREIGN_MACRO = -1.0
FOREIGN_PARAM = -0.75
RARE_SYNTAX = 1.0
WRONG_SYNTAX = -1.0

#: Macro names too common to point at any one network.
GENERIC_MACROS = frozenset(
    [
        "click_id",
        "clickid",
        "cid",
        "subid",
        "sub_id",
        "sub1",
        "sub2",
        "sub3",
        "sub4",
        "sub5",
        "s1",
        "s2",
        "s3",
        "s4",
        "s5",
        "aff_sub",
        "affsub",
        "payout",
        "sum",
        "amount",
        "revenue",
        "price",
        "value",
        "currency",
        "status",
        "event",
        "goal",
        "goal_id",
        "txid",
        "tid",
        "transaction_id",
        "order_id",
        "orderid",
        "lead_id",
        "leadid",
        "id",
        "uid",
        "user_id",
        "userid",
        "offer_id",
        "offerid",
        "ip",
        "country",
    ]
)
#: Parameter names too common to point at any one receiving platform.
GENERIC_PARAMS = frozenset(
    [
        "click_id",
        "clickid",
        "payout",
        "amount",
        "sum",
        "revenue",
        "price",
        "value",
        "currency",
        "status",
        "event",
        "type",
        "goal",
        "transaction_id",
        "txid",
        "order_id",
        "id",
        "user_id",
        "uid",
    ]
)
COMMON_SYNTAX = "{x}"


def _frozen(mapping: Mapping[str, tuple[str, ...]] | None) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({k: tuple(v) for k, v in (mapping or {}).items()})


def _index(
    mapping: Mapping[str, tuple[str, ...]], norm: Callable[[str], str]
) -> dict[str, dict[str, int]]:
    """name -> {canonical field: the name's rank among that field's names}."""
    index: dict[str, dict[str, int]] = {}
    for canonical, names in mapping.items():
        for rank, name in enumerate(names):
            index.setdefault(norm(name), {}).setdefault(canonical, rank)
    return index


@dataclass(frozen=True)
class Evidence:
    """One signature's verdict on one sample."""

    score: float
    reasons: tuple[str, ...]
    #: At least one piece of evidence that only this network (or very few) would show.
    distinctive: bool
    #: Macros and parameter names this signature recognised in the sample.
    recognised: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Signature:
    """A network's (or a tracker's receiving side's) postback dialect.

    ``macros`` and ``params`` map a canonical field (or ``status``) to names, preferred
    first: the macros the network fills that field with, and the parameter names the
    platform itself fixes (a tracker's ``cid`` or ``subid``). Names outside the generic
    sets are treated as distinctive when they are this network's own; ``distinctive``
    names the generic-looking ones that point at this network all the same.
    """

    id: str
    name: str
    docs: tuple[str, ...] = ()
    syntaxes: tuple[str, ...] = (COMMON_SYNTAX,)
    macros: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    other_macros: tuple[str, ...] = ()
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    other_params: tuple[str, ...] = ()
    event_map: Mapping[str, str] = field(default_factory=dict)
    status_map: Mapping[str, str] = field(default_factory=dict)
    #: Macro names are case-sensitive on this network (Awin's ``!!!commission!!!``...).
    case_sensitive: bool = False
    #: Names that point at this network although they look generic elsewhere.
    distinctive: tuple[str, ...] = ()
    #: The network has no event macro: configure one Postback URL per event.
    per_event_urls: bool = False
    notes: str = ""
    origin: str = "built-in"

    def __post_init__(self) -> None:
        for name in ("macros", "params"):
            mapping = _frozen(getattr(self, name))
            unknown = set(mapping) - set(MAPPABLE_FIELDS)
            if unknown:
                raise ValueError(f"signature {self.id}: {name} names unknown fields {unknown}")
            object.__setattr__(self, name, mapping)
        bad_events = set(self.event_map.values()) - set(EVENTS)
        bad_statuses = set(self.status_map.values()) - set(STATUSES)
        if bad_events or bad_statuses:
            raise ValueError(
                f"signature {self.id}: unknown events {bad_events or ''} "
                f"statuses {bad_statuses or ''}".strip()
            )
        object.__setattr__(self, "event_map", MappingProxyType(dict(self.event_map)))
        object.__setattr__(self, "status_map", MappingProxyType(dict(self.status_map)))
        # Lookup tables, built once: detection scores every signature for every URL.
        object.__setattr__(self, "_macro_index", _index(self.macros, self._norm))
        object.__setattr__(
            self, "_other_macros", frozenset(self._norm(n) for n in self.other_macros)
        )
        object.__setattr__(self, "_param_index", _index(self.params, str.casefold))
        object.__setattr__(
            self, "_other_params", frozenset(n.casefold() for n in self.other_params)
        )
        object.__setattr__(self, "_distinctive", frozenset(n.casefold() for n in self.distinctive))

    # -- what the signature knows -------------------------------------------------

    def _norm(self, name: str) -> str:
        return name if self.case_sensitive else name.casefold()

    def macro_fields(self, name: str) -> dict[str, int]:
        """The canonical fields this network fills through macro ``name``, each with the
        macro's rank among that field's macros (0 = preferred)."""
        return self._macro_index.get(self._norm(name), {})

    def knows_macro(self, name: str) -> bool:
        return bool(self.macro_fields(name)) or self._norm(name) in self._other_macros

    def param_fields(self, name: str) -> dict[str, int]:
        return self._param_index.get(name.casefold(), {})

    def knows_param(self, name: str) -> bool:
        folded = name.casefold()
        return folded in self._param_index or folded in self._other_params

    @property
    def has_fixed_params(self) -> bool:
        return bool(self.params)

    # -- scoring ------------------------------------------------------------------

    def detect(self, sample: Sample) -> Evidence:
        """Score ``sample``: the sum of weighted evidence, with a reason for each."""
        score = 0.0
        reasons: list[str] = []
        distinctive = False
        recognised: set[str] = set()
        seen_macros: set[tuple[str, str]] = set()
        for param in sample.params:
            for macro in param.macros:
                if (macro.name, macro.syntax) in seen_macros:
                    continue
                seen_macros.add((macro.name, macro.syntax))
                delta, reason, strong = self._score_macro(macro)
                score += delta
                distinctive |= strong
                if reason:
                    reasons.append(reason)
                if delta > 0:
                    recognised.add(str(macro))
            if self.has_fixed_params:
                delta, reason, strong = self._score_param(param)
                score += delta
                distinctive |= strong
                if reason:
                    reasons.append(reason)
                if delta > 0:
                    recognised.add(param.name)
        return Evidence(round(score, 2), tuple(reasons), distinctive, frozenset(recognised))

    def _score_macro(self, macro: Macro) -> tuple[float, str | None, bool]:
        if not self.macros and not self.other_macros:
            return 0.0, None, False  # a receiving shape: the sender's macros say nothing
        if not self.knows_macro(macro.name):
            if self.has_fixed_params:
                return 0.0, None, False  # the sending network's macro, any network's
            return FOREIGN_MACRO, f"{macro} is not a macro of {self.name}", False
        generic = self._generic(macro.name, GENERIC_MACROS)
        delta = WEAK if generic else STRONG
        strong = not generic
        what = ", ".join(self.macro_fields(macro.name)) or "known"
        reason = f"{macro} is a macro of {self.name} ({what})"
        if macro.syntax in self.syntaxes:
            if macro.syntax != COMMON_SYNTAX:
                delta += RARE_SYNTAX
                strong = True
                reason += f", in its {macro.syntax} syntax"
        else:
            delta += WRONG_SYNTAX
            reason += f", but {self.name} writes macros as {' or '.join(self.syntaxes)}"
        return delta, reason, strong

    def _score_param(self, param: Param) -> tuple[float, str | None, bool]:
        if not self.knows_param(param.name):
            return FOREIGN_PARAM, f"parameter {param.name!r} is not one {self.name} reads", False
        generic = self._generic(param.name, GENERIC_PARAMS)
        what = ", ".join(self.param_fields(param.name)) or "known"
        delta = WEAK_PARAM if generic else STRONG_PARAM
        return delta, f"parameter {param.name!r} is {self.name}'s ({what})", not generic

    # -- what to configure ----------------------------------------------------------

    def _generic(self, name: str, generic: frozenset[str]) -> bool:
        folded = name.casefold()
        return folded in generic and folded not in self._distinctive

    def field_map(self, sample: Sample) -> dict[str, str]:
        """Canonical field -> the parameter name carrying it in ``sample``."""
        return {name: reading.param for name, reading in self.read_fields(sample).items()}

    def read_fields(self, sample: Sample) -> dict[str, FieldReading]:
        """Canonical field -> which parameter carries it, how sure, and why.

        A macro wins over a fixed parameter name: the operator may have put the
        network's click-id macro under any name they like. One parameter may feed two
        fields (a tracker's ``status`` is both the event and the status)."""
        chosen: dict[str, tuple[int, str, str]] = {}
        for param in sample.params:
            for macro in param.macros:
                for canonical, rank in self.macro_fields(macro.name).items():
                    if canonical not in chosen or rank < chosen[canonical][0]:
                        chosen[canonical] = (rank, param.name, f"{macro} is {self.name}'s macro")
        for param in sample.params:
            if any(self.macro_fields(m.name) for m in param.macros):
                continue
            for canonical, rank in self.param_fields(param.name).items():
                if canonical not in chosen or 1000 + rank < chosen[canonical][0]:
                    reason = f"“{param.name}” is the parameter {self.name} reads"
                    chosen[canonical] = (1000 + rank, param.name, reason)
        return {
            canonical: FieldReading(
                name,
                _confidence(rank),
                f"{reason} for the {FIELD_WORDS.get(canonical, canonical)}",
            )
            for canonical, (rank, name, reason) in chosen.items()
        }

    def knows(self, param: Param) -> bool:
        """Whether this network says anything of ``param``: its name or a macro in it (a
        tracker's copy-me placeholder, ``REPLACE``, says nothing)."""
        return self.knows_param(param.name) or any(
            self.knows_macro(m.name) for m in param.macros if m.syntax != "WORD"
        )

    def describe(self) -> dict[str, object]:
        """The signature as the API and CLI show it."""
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin,
            "docs": list(self.docs),
            "syntaxes": list(self.syntaxes),
            "macros": {k: list(v) for k, v in self.macros.items()},
            "params": {k: list(v) for k, v in self.params.items()},
            "event_map": dict(self.event_map),
            "status_map": dict(self.status_map),
            "per_event_urls": self.per_event_urls,
            "notes": self.notes,
        }


def _confidence(rank: int) -> float:
    """A network's preferred macro for a field is near-certain; a fall-back one or a
    fixed parameter name a little less."""
    if rank >= 1000:
        return 0.9
    return 0.97 if rank == 0 else 0.93
