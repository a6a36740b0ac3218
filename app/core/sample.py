"""Read a pasted postback URL: its path, its parameters and the macros in their values.

Networks write macros in a dozen dialects (``{x}``, ``#x#``, ``[[x]]``, ``%x%``...). A
pasted URL is either a template (macros intact: the strongest signal, because the
*network* chooses macro names while the operator chooses parameter names) or an arrived
URL (real values: only parameter names and value shapes are left to go on).

Parsing is done on the raw query, before percent-decoding: ``%s5%`` must stay a macro,
and ``%ad%`` is one too although ``%ad`` looks like an escape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

from app.core.params import MAX_PARAMS

#: Dialects, most specific first: ``[[[x]]]`` must not be read as ``[x]`` inside brackets.
#: Each pattern's group 1 is the macro name.
SYNTAXES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (syntax, re.compile(pattern))
    for syntax, pattern in (
        # ``${a.b[key]}`` before the brackets: Tapfiliate's meta-data lookups.
        ("${x}", r"\$\{([A-Za-z_][\w.\-]*)(?:\[[^\]\s]+\])?\}"),
        ("[=x=]", r"\[=([A-Za-z_][\w.\-]*)=\]"),
        ("[[[x]]]", r"\[\[\[([A-Za-z_][\w.\-]*)\]\]\]"),
        ("[[x]]", r"(?<!\[)\[\[([A-Za-z_][\w.\-]*)\]\](?!\])"),
        ("[x]", r"(?<!\[)\[([A-Za-z_][\w.\-]*)\](?!\])"),
        # ``{{ name | filter: arg }}``: Liquid templates (FirstPromoter) filter a macro.
        ("{{x}}", r"\{\{\s*([A-Za-z_][\w.\-]*)\s*(?:\|[^}]*)?\}\}"),
        ("{x}", r"(?<![{$])\{([A-Za-z_][\w.\-]*)\}(?!\})"),
        ("%%x%%", r"%%([A-Za-z_][\w.\-]*)%%"),
        ("%x%", r"(?<!%)%([A-Za-z_][\w.\-]*)%(?!%)"),
        ("!!!x!!!", r"!!!([A-Za-z_][\w.\-]*)!!!"),
        ("#x#", r"#([A-Za-z_][\w.\-]*)#"),
        ("*x*", r"\*([A-Za-z_][\w.\-]*)\*"),
        ("<x>", r"<([A-Za-z_][\w.\-]*)>"),
        ("$x", r"(?<![\w$])\$([A-Za-z_]\w*)(?![\w{])"),
        # Trackers' copy-me placeholders (Voluum's REPLACE, BeMob's OPTIONAL) as a whole
        # value: a slot to fill, not data. Only these words: real values in capitals
        # (APPROVED, a base64 click id) must stay values.
        ("WORD", r"^((?:REPLACE|OPTIONAL|REQUIRED)(?:_[A-Z]+)*)$"),
    )
)


@dataclass(frozen=True)
class Macro:
    name: str
    syntax: str

    def __str__(self) -> str:
        return self.syntax.replace("x", self.name, 1) if self.syntax != "WORD" else self.name


@dataclass(frozen=True)
class Param:
    name: str
    value: str
    macros: tuple[Macro, ...]


@dataclass(frozen=True)
class Sample:
    url: str
    path: str
    params: tuple[Param, ...]

    @property
    def is_template(self) -> bool:
        return any(p.macros for p in self.params)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def param(self, name: str) -> Param | None:
        folded = name.casefold()
        return next((p for p in self.params if p.name.casefold() == folded), None)


def find_macros(raw_value: str) -> tuple[Macro, ...]:
    """Every macro in one raw (still percent-encoded) value, in order of appearance."""
    found: list[tuple[int, Macro]] = []
    taken: list[range] = []
    for text in _readings(raw_value):
        for syntax, pattern in SYNTAXES:
            for match in pattern.finditer(text):
                span = range(match.start(), match.end())
                if text is raw_value and any(_overlaps(span, t) for t in taken):
                    continue
                macro = Macro(match.group(1), syntax)
                if all(m != macro for _, m in found):
                    found.append((match.start(), macro))
                    if text is raw_value:
                        taken.append(span)
    return tuple(m for _, m in sorted(found, key=lambda item: item[0]))


def _readings(raw_value: str) -> tuple[str, ...]:
    """The raw value, and the decoded one when it differs (``%7Bclickid%7D``)."""
    decoded = unquote_plus(raw_value, errors="replace")
    return (raw_value,) if decoded == raw_value else (raw_value, decoded)


def _overlaps(a: range, b: range) -> bool:
    return a.start < b.stop and b.start < a.stop


def parse_sample(url: str) -> Sample:
    """Split a pasted URL into path and parameters; never raises on odd input."""
    text = url.strip()
    path, query = _path_and_query(text)
    params: list[Param] = []
    for piece in _split_query(query)[:MAX_PARAMS]:
        raw_name, _, raw_value = piece.partition("=")
        name = unquote_plus(raw_name, errors="replace").strip()
        if not name:
            continue
        value = unquote_plus(raw_value, errors="replace")
        params.append(Param(name, value, find_macros(raw_value)))
    return Sample(url=text, path=path, params=tuple(params))


def _path_and_query(text: str) -> tuple[str, str]:
    try:
        parts = urlsplit(text if "://" in text or text.startswith("/") else f"//{text}")
    except ValueError:  # a bracket that is not an IPv6 host, say: split by hand
        before, _, query = text.partition("?")
        return "/" + before.split("://", 1)[-1].partition("/")[2], query
    query = parts.query
    if parts.fragment and ("=" in parts.fragment or query.endswith("=")):
        # An unencoded '#' starts a fragment: CAKE's ``#s2#`` macros split the URL there,
        # also when the macro is the last parameter's value (``?c=#country#``).
        query = f"{query}#{parts.fragment}"
    return parts.path, query


def _split_query(query: str) -> list[str]:
    return [piece for piece in query.split("&") if piece]
