"""CSV text: RFC 4180 quoting, a header first, and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io

import pytest

from app.core.csv_export import csv_text, safe_cell


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x")', "+1+2", "-1+2", "@SUM(A1)", "\tx", "\rx", "-"]
)
def test_a_cell_a_spreadsheet_would_run_is_prefixed_with_a_quote(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.5", "-3", "12.5", "ftd", "", "a=b", "2026-11-20T14:00"])
def test_numbers_and_plain_text_are_left_alone(value):
    assert safe_cell(value) == value


def test_the_header_comes_first_then_one_piece_per_chunk():
    pieces = list(csv_text(["a", "b"], [[["1", "2"]], [["3", "4"], ["5", "6"]]]))
    assert pieces == ["a,b\r\n", "1,2\r\n", "3,4\r\n5,6\r\n"]


def test_commas_quotes_and_line_breaks_are_quoted_and_read_back_whole():
    row = ["a,b", 'say "hi"', "two\nlines", "ünïcode"]
    text = "".join(csv_text(["w", "x", "y", "z"], [[row]]))
    assert '"a,b","say ""hi""","two\nlines",ünïcode\r\n' in text
    assert list(csv.reader(io.StringIO(text, newline="")))[1] == row


def test_chunks_are_read_one_at_a_time():
    taken = []

    def chunks():
        for n in range(3):
            taken.append(n)
            yield [[str(n)]]

    pieces = csv_text(["n"], chunks())
    assert next(pieces) == "n\r\n" and taken == []
    assert next(pieces) == "0\r\n" and taken == [0]
