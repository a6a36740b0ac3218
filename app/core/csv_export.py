"""CSV files people open in a spreadsheet: RFC 4180 quoting, and no cell a spreadsheet
would run as a formula.

A network controls most of what a conversion holds (transaction ids, raw labels, user
ids), so a value like ``=HYPERLINK(...)`` must reach the spreadsheet as text. Following
OWASP's advice, a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading ``'``; a plain number (``-12.5``) is left alone, since no spreadsheet runs
it and the prefix would turn it into text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def safe_cell(value: str) -> str:
    if value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(header: Sequence[str], chunks: Iterable[Iterable[Sequence[str]]]) -> Iterator[str]:
    """The header line, then one piece of text per chunk of rows: what a streamed
    response sends, one chunk of rows in memory at a time. Lines end in CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(name) for name in header])
    yield buffer.getvalue()
    for rows in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        yield buffer.getvalue()
