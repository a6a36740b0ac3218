"""The Keitaro client's HTTP layer against a local fake tracker: auth, retries, errors."""

import pytest
from werkzeug import Response

from app.keitaro import errors
from app.keitaro.transport import Transport, api_base

KEY = "k-secret-api-key-123"


@pytest.fixture
def waits():
    return []


@pytest.fixture
def tracker(httpserver, waits):
    def make(**options):
        return Transport(httpserver.url_for("/"), KEY, sleep=waits.append, **options)

    return make


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://t.example", "https://t.example/admin_api/v1"),
        ("https://t.example/", "https://t.example/admin_api/v1"),
        ("https://t.example/admin_api/v1/", "https://t.example/admin_api/v1"),
    ],
)
def test_the_base_url_is_accepted_with_or_without_the_api_path(given, base):
    assert api_base(given) == base


def test_a_url_without_scheme_is_refused():
    with pytest.raises(ValueError, match="http"):
        api_base("t.example")


def test_requests_carry_the_api_key_and_our_user_agent(httpserver, tracker):
    httpserver.expect_request(
        "/admin_api/v1/campaigns", headers={"Api-Key": KEY}
    ).respond_with_json([{"id": 1}])
    assert tracker().request("GET", "campaigns") == [{"id": 1}]
    assert httpserver.log[0][0].headers["User-Agent"].startswith("PostbackHub/")


def test_tls_verification_can_be_turned_off_for_self_signed_trackers(tracker):
    assert tracker(verify_tls=False).session.verify is False


def test_an_idempotent_call_is_retried_on_503_honouring_retry_after(httpserver, tracker, waits):
    httpserver.expect_ordered_request("/admin_api/v1/offers").respond_with_response(
        Response("busy", status=503, headers={"Retry-After": "7"})
    )
    httpserver.expect_ordered_request("/admin_api/v1/offers").respond_with_json([])
    assert tracker().request("GET", "offers") == []
    assert waits and waits[0] >= 7


def test_a_create_is_never_retried(httpserver, tracker, waits):
    httpserver.expect_request("/admin_api/v1/campaigns", method="POST").respond_with_data(
        "busy", status=503
    )
    with pytest.raises(errors.Unavailable):
        tracker().request("POST", "campaigns", body={"name": "x"})
    assert (len(httpserver.log), waits) == (1, [])


def test_an_unreachable_tracker_is_unavailable_after_the_retries(waits):
    client = Transport("http://127.0.0.1:9", KEY, sleep=waits.append, retries=2, timeout=1)
    with pytest.raises(errors.Unavailable, match="did not answer"):
        client.request("GET", "campaigns")
    assert len(waits) == 2


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (401, "", errors.Unauthorized, "API key"),
        (402, "", errors.LicenceRequired, "licence"),
        (403, '{"error": "no access"}', errors.Forbidden, "no access"),
        (404, "Not found", errors.NotFound, "not found"),
        (422, '{"alias": ["is taken"]}', errors.FieldErrors, "alias: is taken"),
        (406, '{"errors": {"name": ["is empty"]}}', errors.FieldErrors, "name: is empty"),
        (500, "boom", errors.Unavailable, "500"),
        (418, "teapot", errors.KeitaroError, "418"),
    ],
)
def test_each_keitaro_error_becomes_a_typed_one(httpserver, tracker, status, body, error, words):
    httpserver.expect_request("/admin_api/v1/x").respond_with_data(body, status=status)
    with pytest.raises(error, match=words) as raised:
        tracker(retries=0).request("GET", "x")
    assert KEY not in raised.value.message


def test_field_errors_are_kept_by_field(httpserver, tracker):
    httpserver.expect_request("/admin_api/v1/x").respond_with_data(
        '{"alias": ["is taken", "too short"]}', status=422
    )
    with pytest.raises(errors.FieldErrors) as raised:
        tracker().request("GET", "x")
    assert raised.value.fields == {"alias": ["is taken", "too short"]}


def test_an_html_page_answered_with_200_is_not_an_admin_api(httpserver, tracker):
    httpserver.expect_request("/admin_api/v1/campaigns").respond_with_data(
        "<!DOCTYPE html><html><body>Keitaro login</body></html>", content_type="text/html"
    )
    with pytest.raises(errors.NotAnAdminApi, match="not a Keitaro Admin API"):
        tracker().request("GET", "campaigns")


def test_an_empty_answer_is_none(httpserver, tracker):
    httpserver.expect_request("/admin_api/v1/campaigns/1", method="DELETE").respond_with_data("")
    assert tracker().request("DELETE", "campaigns/1") is None
