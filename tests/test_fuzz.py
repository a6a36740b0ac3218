"""Whatever a network (or an attacker) sends to a Postback URL, the answer is never a 5xx."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

keys = st.text(min_size=0, max_size=30)
values = st.one_of(
    st.text(max_size=200), st.sampled_from(["1e5", "NaN", "12,50", "-0", "∞", "\x00"])
)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)


@st.composite
def deep_json(draw: st.DrawFn) -> str:
    """JSON text nested around and far beyond the accepted depth (hypothesis's own
    recursive strategies stay shallow), each level an array or an object."""
    levels = draw(st.integers(min_value=1, max_value=3000))
    opening, closing = [], []
    for _ in range(levels):
        if draw(st.booleans()):
            key = json.dumps(draw(st.text(max_size=3)))
            opening.append("{" + key + ":")
            closing.append("}")
        else:
            opening.append("[")
            closing.append("]")
    leaf = json.dumps(draw(scalars), allow_nan=True)
    return "".join(opening) + leaf + "".join(reversed(closing))


content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin-1",
        "text/plain",
        "multipart/form-data; boundary=xyz",
        "application/json; charset=utf-16",
        "garbage/;;=",
    ]
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(query=st.lists(st.tuples(keys, values), max_size=12))
def test_arbitrary_query_strings_never_cause_a_server_error(client, source, query):
    answer = client.get(source["postback_path"], query_string=query)
    assert answer.status_code < 500, answer.get_data(as_text=True)


@FUZZ
@given(
    body=st.binary(max_size=2048),
    content_type=content_types,
    method=st.sampled_from(["GET", "POST"]),
)
def test_arbitrary_bodies_and_encodings_never_cause_a_server_error(
    client, source, body, content_type, method
):
    answer = client.open(
        source["postback_path"], method=method, data=body, content_type=content_type
    )
    assert answer.status_code < 500, answer.get_data(as_text=True)


@FUZZ
@given(document=json_values)
def test_arbitrary_json_documents_never_cause_a_server_error(client, source, document):
    answer = client.post(source["postback_path"], json=document)
    assert answer.status_code < 500, answer.get_data(as_text=True)


@FUZZ
@given(document=deep_json())
def test_deeply_nested_json_postbacks_never_cause_a_server_error(client, source, document):
    answer = client.post(source["postback_path"], data=document, content_type="application/json")
    assert answer.status_code < 500, answer.get_data(as_text=True)


@FUZZ
@given(
    document=deep_json(),
    path=st.sampled_from(
        ["/api/v1/sources", "/api/v1/outbound-postbacks", "/api/v1/sources/detect"]
    ),
)
def test_deeply_nested_json_api_bodies_never_cause_a_server_error(
    client, operator_headers, document, path
):
    answer = client.post(
        path, data=document, content_type="application/json", headers=operator_headers
    )
    assert answer.status_code < 500, answer.get_data(as_text=True)


def test_a_doubled_slash_with_a_control_character_in_the_query_is_no_server_error(client, source):
    answer = client.get(source["postback_path"] + "//0", environ_overrides={"QUERY_STRING": "\r"})
    assert answer.status_code < 500


@FUZZ
@given(path=st.text(max_size=60), raw_query=st.binary(max_size=300))
def test_arbitrary_paths_and_raw_query_bytes_never_cause_a_server_error(
    client, source, path, raw_query
):
    url = source["postback_path"] + "/" + path.replace("?", "").replace("#", "")
    answer = client.get(url, environ_overrides={"QUERY_STRING": raw_query.decode("latin-1")})
    assert answer.status_code < 500, answer.get_data(as_text=True)


@FUZZ
@given(
    path=st.sampled_from(["/api/v1/conversions", "/api/v1/stats", "/api/v1/sources"]),
    query=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "attribution",
                    "event_type",
                    "status",
                    "source_id",
                    "since",
                    "until",
                    "cursor",
                    "limit",
                    "window",
                ]
            ),
            values,
        ),
        max_size=6,
    ),
)
def test_arbitrary_api_queries_never_cause_a_server_error(client, operator_headers, path, query):
    answer = client.get(path, query_string=query, headers=operator_headers)
    assert answer.status_code < 500, answer.get_data(as_text=True)
