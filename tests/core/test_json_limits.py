"""JSON from outside is read within a documented depth, and measuring it never recurses."""

import pytest

from app.core.json_limits import MAX_JSON_DEPTH, NestingTooDeep, depth, loads


def nested(levels: int, kind: str = "object") -> str:
    if kind == "object":
        return '{"a":' * levels + "1" + "}" * levels
    return "[" * levels + "]" * levels


def test_depth_counts_arrays_and_objects():
    assert [depth(1), depth({"a": 1}), depth([[]]), depth({"a": [{"b": 2}], "c": 3})] == [
        0,
        1,
        2,
        3,
    ]


@pytest.mark.parametrize("kind", ["object", "array"])
def test_the_documented_depth_parses(kind):
    assert depth(loads(nested(MAX_JSON_DEPTH, kind))) == MAX_JSON_DEPTH


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 980, 100_000])
@pytest.mark.parametrize("kind", ["object", "array"])
def test_deeper_documents_are_refused_without_a_recursion_error(levels, kind):
    with pytest.raises(NestingTooDeep, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        loads(nested(levels, kind))


def test_refusal_is_not_a_value_error_that_silent_parsers_would_swallow():
    assert not issubclass(NestingTooDeep, ValueError)


def test_bytes_parse_like_text():
    assert loads(nested(3).encode()) == loads(nested(3))
    with pytest.raises(NestingTooDeep):
        loads(nested(MAX_JSON_DEPTH + 1, "array").encode())


def test_many_brackets_side_by_side_are_not_depth():
    wide = "[" + ",".join(["{}"] * 500) + "]"
    assert depth(loads(wide)) == 2
