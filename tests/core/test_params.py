from app.core.params import MAX_VALUE, fingerprint, merge


def test_the_query_string_wins_over_json_and_form_bodies():
    params, _ = merge([("a", "query")], [("a", "form"), ("b", "form")], {"a": "json", "c": 1})
    assert params == {"a": "query", "c": "1", "b": "form"}


def test_json_values_become_strings():
    params, _ = merge([], json_body={"n": 1.5, "t": True, "x": None, "o": {"k": [1]}})
    assert params == {"n": "1.5", "t": "true", "x": "", "o": '{"k": [1]}'}


def test_a_json_body_that_is_not_an_object_is_ignored_with_a_note():
    params, notes = merge([("a", "1")], json_body=[1, 2])
    assert params == {"a": "1"}
    assert notes


def test_huge_values_are_cut_with_a_note():
    params, notes = merge([("a", "x" * (MAX_VALUE + 10))])
    assert len(params["a"]) == MAX_VALUE
    assert notes


def test_fingerprints_ignore_parameter_order_but_not_values():
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})
    assert fingerprint({"a": "1"}, "reg") != fingerprint({"a": "1"}, "dep")
