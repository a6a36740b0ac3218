"""``pbhub keitaro``: every Admin API operation from the shell, against a fake tracker.

Each command prints ``{request, resource, operation, success, data, error}`` (plus
``count`` for lists) as JSON, or a table with ``--table``, never shows a key whole, and
exits non-zero when the tracker or the input is refused.
"""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import KeitaroConnection

API = "/admin_api/v1"
CAMPAIGN = {"id": 1, "alias": "a", "name": "A", "postbacks": []}
S2S = {"url": "https://network.test/pb?cid={subid}", "method": "GET", "statuses": ["sale"]}


@pytest.fixture(autouse=True)
def no_connection_from_the_environment(monkeypatch):
    monkeypatch.delenv("PBHUB_KEITARO_CONNECTION", raising=False)


@pytest.fixture
def fake(fake_keitaro, keitaro_connection):
    """The fake tracker, stored as the connection "main" (the default)."""
    keitaro_connection()
    return fake_keitaro


def keitaro(runner, *args, input=None):
    return runner.invoke(args=["keitaro", *args], input=input)


def envelope(result):
    return json.loads(result.stdout)


def sent(fake, method, path):
    """The requests the fake saw with this method and Admin API path."""
    return [r for r in fake.requests if r.method == method and r.path == f"{API}/{path}"]


def moscow_yesterday():
    return datetime.now(ZoneInfo("Europe/Moscow")).date() - timedelta(days=1)


# -- the envelope ----------------------------------------------------------------------


def test_a_list_prints_the_json_envelope_with_a_count_and_exits_zero(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)
    fake.campaigns[2] = {**CAMPAIGN, "id": 2, "alias": "b"}

    result = keitaro(runner, "campaign", "list")

    assert result.exit_code == 0, result.output
    out = envelope(result)
    assert set(out) == {"request", "resource", "operation", "success", "data", "error", "count"}
    assert (out["resource"], out["operation"], out["success"], out["error"]) == (
        "campaign",
        "list",
        True,
        None,
    )
    assert [c["alias"] for c in out["data"]] == ["a", "b"]
    assert out["count"] == 2
    assert set(out["request"]) == {"url", "method", "headers"}
    assert out["request"]["method"] == "GET"
    assert out["request"]["url"] == f"{fake.url}{API}/campaigns"


def test_an_operation_on_one_object_has_no_count(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)

    result = keitaro(runner, "campaign", "get", "--id", "1")

    assert result.exit_code == 0, result.output
    out = envelope(result)
    assert out["data"] == CAMPAIGN
    assert "count" not in out


# -- secrets ---------------------------------------------------------------------------


def test_the_api_key_is_masked_in_the_request_and_never_printed(runner, fake):
    result = keitaro(runner, "campaign", "list")

    assert result.exit_code == 0, result.output
    assert envelope(result)["request"]["headers"]["Api-Key"] == "fake…"
    assert fake.api_key not in result.stdout + result.stderr
    assert fake.requests[0].headers["Api-Key"] == fake.api_key


def test_a_failing_call_does_not_print_the_api_key_either(runner, fake_keitaro, keitaro_connection):
    keitaro_connection(api_key="wrong-secret-key-987")

    result = keitaro(runner, "campaign", "get", "--id", "999")

    assert result.exit_code != 0
    out = envelope(result)
    assert out["success"] is False
    assert out["request"]["headers"]["Api-Key"] == "wron…"
    assert "wrong-secret-key-987" not in result.stdout + result.stderr


# -- failures --------------------------------------------------------------------------


def test_a_wrong_api_key_is_unauthorized_and_exits_non_zero(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection()
    fake_keitaro.api_key = "rotated-key-0000"

    result = keitaro(runner, "campaign", "list")

    assert result.exit_code != 0
    out = envelope(result)
    assert (out["success"], out["data"]) == (False, None)
    assert out["error"]["type"] == "Unauthorized"
    assert out["error"]["status"] == 401
    assert "count" not in out


def test_a_licence_without_the_admin_api_is_licence_required(runner, fake):
    fake.licensed = False

    result = keitaro(runner, "campaign", "list")

    assert result.exit_code != 0
    assert envelope(result)["error"]["type"] == "LicenceRequired"


def test_a_missing_object_is_not_found(runner, fake):
    result = keitaro(runner, "campaign", "get", "--id", "999")

    assert result.exit_code != 0
    error = envelope(result)["error"]
    assert (error["type"], error["status"]) == ("NotFound", 404)


def test_fields_the_tracker_refuses_are_named_in_the_error(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)

    result = keitaro(runner, "campaign", "create", "--data", '{"alias": "a", "name": "Again"}')

    assert result.exit_code != 0
    error = envelope(result)["error"]
    assert error["type"] == "FieldErrors"
    assert error["fields"] == {"alias": ["The alias is already taken"]}


def test_a_url_outside_the_admin_api_is_not_an_admin_api(runner, fake_keitaro, keitaro_connection):
    keitaro_connection(url=fake_keitaro.url + "/admin")

    result = keitaro(runner, "campaign", "list")

    assert result.exit_code != 0
    error = envelope(result)["error"]
    assert error["type"] == "NotAnAdminApi"
    assert "not a Keitaro Admin API" in error["message"]
    assert fake_keitaro.requests[0].path == f"/admin{API}/campaigns"


# -- input -----------------------------------------------------------------------------


def test_create_sends_the_body_given_with_data(runner, fake):
    result = keitaro(runner, "campaign", "create", "--data", '{"alias": "new", "name": "New"}')

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "campaigns")
    assert request.body == {"alias": "new", "name": "New"}
    assert envelope(result)["data"]["alias"] == "new"


def test_create_reads_the_body_from_a_file(runner, fake, tmp_path):
    body = tmp_path / "campaign.json"
    body.write_text('{"alias": "from-file", "name": "File"}')

    result = keitaro(runner, "campaign", "create", "--data", f"@{body}")

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "campaigns")
    assert request.body == {"alias": "from-file", "name": "File"}


def test_a_missing_data_file_is_a_clear_error_and_sends_nothing(runner, fake, tmp_path):
    result = keitaro(runner, "campaign", "create", "--data", f"@{tmp_path / 'nope.json'}")

    assert result.exit_code != 0
    assert "cannot read" in envelope(result)["error"]["message"]
    assert fake.requests == []


def test_update_reads_the_body_from_stdin(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)

    result = keitaro(runner, "campaign", "update", "--id", "1", input='{"name": "Piped"}')

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "PUT", "campaigns/1")
    assert request.body == {"name": "Piped"}
    assert fake.campaigns[1]["name"] == "Piped"


def test_invalid_json_is_a_clear_error_and_sends_nothing(runner, fake):
    result = keitaro(runner, "campaign", "create", "--data", "{alias: oops")

    assert result.exit_code != 0
    out = envelope(result)
    assert out["error"]["type"] == "InvalidRequest"
    assert "not JSON" in out["error"]["message"]
    assert out["request"] is None
    assert fake.requests == []


def test_a_body_missing_a_required_field_is_refused_before_sending(runner, fake):
    result = keitaro(runner, "campaign", "create", "--data", '{"name": "No alias"}')

    assert result.exit_code != 0
    error = envelope(result)["error"]
    assert "alias" in error["message"]
    assert "alias" in error["fields"]
    assert fake.requests == []


def test_create_without_any_body_says_how_to_give_one(runner, fake):
    result = keitaro(runner, "campaign", "create")

    assert result.exit_code != 0
    assert "--data" in envelope(result)["error"]["message"]
    assert fake.requests == []


# -- the table -------------------------------------------------------------------------


def test_table_prints_a_list_as_columns(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)
    fake.campaigns[2] = {**CAMPAIGN, "id": 2, "alias": "second", "name": "Second"}

    result = keitaro(runner, "campaign", "list", "--table")

    assert result.exit_code == 0, result.output
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "alias", "name", "postbacks"]
    assert set(rule) <= {"-", " "}
    assert rows[1].split()[:3] == ["2", "second", "Second"]
    assert not result.stdout.lstrip().startswith(("{", "["))


def test_table_prints_a_failure_as_one_line_on_stderr(runner, fake):
    result = keitaro(runner, "campaign", "get", "--id", "999", "--table")

    assert result.exit_code != 0
    assert result.stdout == ""
    assert result.stderr.startswith("error: Keitaro: not found")
    assert len(result.stderr.strip().splitlines()) == 1


# -- help ------------------------------------------------------------------------------


def test_help_on_keitaro_lists_the_resources(runner):
    result = keitaro(runner, "--help")

    assert result.exit_code == 0
    for name in ("campaign", "postback", "statistics", "connections", "sync"):
        assert name in result.stdout


def test_help_on_a_resource_lists_its_operations(runner):
    result = keitaro(runner, "campaign", "--help")

    assert result.exit_code == 0
    for name in ("list", "get", "create", "update", "delete", "clone", "update-costs"):
        assert f"  {name} " in result.stdout


def test_help_on_an_operation_lists_its_options(runner):
    result = keitaro(runner, "conversion", "get-all", "--help")

    assert result.exit_code == 0
    for option in ("--range", "--status", "--subid", "--limit", "--connection", "--table"):
        assert option in result.stdout


def test_an_operation_keitaro_lacks_is_refused_in_one_line(runner, fake):
    result = keitaro(runner, "group", "get", "--id", "1")

    assert result.exit_code != 0
    assert result.stderr == (
        "Error: Keitaro has no 'get' for group (it has: create, delete, list, update)\n"
    )
    assert fake.requests == []


def test_an_unknown_operation_name_is_a_usage_error(runner, fake):
    result = keitaro(runner, "campaign", "frobnicate")

    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr


# -- connections -----------------------------------------------------------------------


def test_without_connection_the_default_one_is_used(runner, fake, keitaro_connection):
    keitaro_connection(name="other", api_key="other-key-4567")

    result = keitaro(runner, "campaign", "list")

    assert result.exit_code == 0, result.output
    assert fake.requests[0].headers["Api-Key"] == fake.api_key


def test_connection_selects_a_stored_connection_by_name(runner, fake, keitaro_connection):
    keitaro_connection(name="other", api_key="other-key-4567")

    result = keitaro(runner, "campaign", "list", "--connection", "other")

    assert envelope(result)["request"]["headers"]["Api-Key"] == "othe…"
    assert fake.requests[0].headers["Api-Key"] == "other-key-4567"


def test_the_connection_can_be_chosen_with_an_environment_variable(
    runner, fake, keitaro_connection
):
    keitaro_connection(name="other", api_key="other-key-4567")

    result = runner.invoke(
        args=["keitaro", "campaign", "list"], env={"PBHUB_KEITARO_CONNECTION": "other"}
    )

    assert envelope(result)["request"]["headers"]["Api-Key"] == "othe…"
    assert fake.requests[0].headers["Api-Key"] == "other-key-4567"


def test_an_unknown_connection_is_a_clear_error_and_sends_nothing(runner, fake):
    result = keitaro(runner, "campaign", "list", "--connection", "nope")

    assert result.exit_code != 0
    assert envelope(result)["error"]["message"] == "no Keitaro connection 'nope'"
    assert fake.requests == []


def test_without_any_connection_the_error_says_how_to_add_one(runner):
    result = keitaro(runner, "campaign", "list")

    assert result.exit_code != 0
    assert "connections add" in envelope(result)["error"]["message"]


# -- postbacks -------------------------------------------------------------------------


def test_postback_create_adds_it_to_the_campaigns_postbacks(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)

    result = keitaro(runner, "postback", "create", "--campaign-id", "1", "--data", json.dumps(S2S))

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "PUT", "campaigns/1")
    assert request.body == {"postbacks": [{**S2S, "campaign_id": 1}]}
    created = envelope(result)["data"]
    assert created["url"] == S2S["url"]
    assert created["id"] == fake.campaigns[1]["postbacks"][0]["id"]


def test_postback_list_reads_the_campaigns_postbacks(runner, fake):
    fake.campaigns[1] = {**CAMPAIGN, "postbacks": [{**S2S, "id": 7, "campaign_id": 1}]}

    result = keitaro(runner, "postback", "list", "--campaign-id", "1")

    assert result.exit_code == 0, result.output
    out = envelope(result)
    assert (out["count"], out["data"][0]["id"]) == (1, 7)
    assert sent(fake, "GET", "campaigns/1")


def test_postback_update_changes_one_and_keeps_the_others(runner, fake):
    other = {**S2S, "id": 8, "campaign_id": 1}
    fake.campaigns[1] = {**CAMPAIGN, "postbacks": [{**S2S, "id": 7, "campaign_id": 1}, other]}

    result = keitaro(
        runner,
        "postback",
        "update",
        "--campaign-id",
        "1",
        "--id",
        "7",
        "--data",
        '{"url": "https://network.test/changed"}',
    )

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "PUT", "campaigns/1")
    assert request.body["postbacks"] == [
        {**S2S, "id": 7, "campaign_id": 1, "url": "https://network.test/changed"},
        other,
    ]
    assert envelope(result)["data"]["url"] == "https://network.test/changed"


def test_postback_delete_writes_back_the_remaining_ones(runner, fake):
    other = {**S2S, "id": 8, "campaign_id": 1}
    fake.campaigns[1] = {**CAMPAIGN, "postbacks": [{**S2S, "id": 7, "campaign_id": 1}, other]}

    result = keitaro(runner, "postback", "delete", "--campaign-id", "1", "--id", "7")

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "PUT", "campaigns/1")
    assert request.body == {"postbacks": [other]}
    assert envelope(result)["count"] == 1


def test_postback_update_of_an_unknown_id_is_not_found_and_writes_nothing(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)

    result = keitaro(
        runner, "postback", "update", "--campaign-id", "1", "--id", "7", "--data", '{"url": "x"}'
    )

    assert result.exit_code != 0
    assert envelope(result)["error"]["type"] == "NotFound"
    assert not sent(fake, "PUT", "campaigns/1")


def test_postback_test_fires_at_the_trackers_postback_url_with_the_key_masked(runner, fake):
    result = keitaro(runner, "postback", "test", "--subid", "abc", "--status", "sale")

    assert result.exit_code == 0, result.output
    assert fake.postbacks_received == [{"subid": "abc", "status": "sale"}]
    out = envelope(result)
    assert out["request"]["url"] == f"{fake.url}/pbke…/postback?subid=abc&status=sale"
    assert out["data"]["ok"] is True
    assert fake.postback_key not in result.stdout + result.stderr


def test_postback_test_refused_by_the_tracker_fails_and_still_shows_the_request(runner, fake):
    fake.postback_status = 503

    result = keitaro(runner, "postback", "test", "--subid", "abc")

    assert result.exit_code != 0
    out = envelope(result)
    assert "503" in out["error"]["message"]
    assert out["request"]["url"].startswith(f"{fake.url}/pbke…/postback?")


def test_postback_test_answered_by_a_web_page_is_a_failure(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection(postback_key="wrong-key")

    result = keitaro(runner, "postback", "test", "--subid", "abc")

    assert result.exit_code != 0
    assert "postback key" in envelope(result)["error"]["message"]
    assert fake_keitaro.postbacks_received == []


def test_postback_test_without_a_postback_key_says_how_to_add_one(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection(postback_key=None)

    result = keitaro(runner, "postback", "test", "--subid", "abc")

    assert result.exit_code != 0
    assert "--postback-key" in envelope(result)["error"]["message"]
    assert fake_keitaro.requests == []


# -- the bot list ----------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["blacklist", "bot"])
def test_adding_to_the_bot_list_posts_the_value(runner, fake, resource):
    result = keitaro(runner, resource, "add", "--value", "1.2.3.4")

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "botlist/add")
    assert request.body == {"value": "1.2.3.4"}


def test_bot_list_rows_are_read_from_stdin(runner, fake):
    result = keitaro(runner, "bot", "add", input="1.2.3.4\n10.0.0.0/8\n")

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "botlist/add")
    assert request.body["value"].split() == ["1.2.3.4", "10.0.0.0/8"]


def test_blacklist_clear_deletes_the_bot_list(runner, fake):
    result = keitaro(runner, "blacklist", "clear")

    assert result.exit_code == 0, result.output
    assert [(r.method, r.path) for r in fake.requests] == [("DELETE", f"{API}/botlist")]


# -- statistics ------------------------------------------------------------------------


def test_statistics_yesterday_is_the_connections_day(runner, fake):
    before = moscow_yesterday()
    result = keitaro(
        runner,
        "statistics",
        "build",
        "--range",
        "yesterday",
        "--grouping",
        "campaign,offer",
        "--metrics",
        "clicks",
    )
    after = moscow_yesterday()

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "report/build")
    assert request.body["grouping"] == ["campaign", "offer"]
    assert request.body["metrics"] == ["clicks"]
    assert request.body["range"] in [
        {"from": f"{day} 00:00:00", "to": f"{day} 23:59:59", "timezone": "Europe/Moscow"}
        for day in {before, after}
    ]


def test_statistics_custom_range_covers_from_and_to_days(runner, fake):
    result = keitaro(
        runner,
        "statistics",
        "build",
        "--range",
        "custom",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-02",
    )

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "report/build")
    assert request.body["range"] == {
        "from": "2026-11-01 00:00:00",
        "to": "2026-11-02 23:59:59",
        "timezone": "Europe/Moscow",
    }


def test_statistics_timezone_option_overrides_the_connections(runner, fake):
    result = keitaro(
        runner,
        "statistics",
        "build",
        "--range",
        "custom",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-01",
        "--timezone",
        "UTC",
    )

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "report/build")
    assert request.body["range"]["timezone"] == "UTC"


def test_statistics_unknown_timezone_is_a_clear_error_and_sends_nothing(runner, fake):
    result = keitaro(runner, "statistics", "build", "--timezone", "Mars/Olympus")

    assert result.exit_code != 0
    assert "Mars/Olympus" in envelope(result)["error"]["message"]
    assert fake.requests == []


def test_statistics_custom_range_without_from_is_refused(runner, fake):
    result = keitaro(runner, "statistics", "build", "--range", "custom")

    assert result.exit_code != 0
    assert "--from" in envelope(result)["error"]["message"]
    assert fake.requests == []


def test_statistics_from_without_a_custom_range_is_refused(runner, fake):
    result = keitaro(runner, "statistics", "build", "--from", "2026-11-01")

    assert result.exit_code != 0
    assert "--range custom" in envelope(result)["error"]["message"]
    assert fake.requests == []


# -- logs ------------------------------------------------------------------------------


def test_conversion_get_all_sends_filters_limit_and_sort(runner, fake):
    hour_ago = datetime.now(UTC) - timedelta(hours=1)
    fake.add_conversion("s1", "t1", "sale", "5", hour_ago)
    fake.add_conversion("s1", "t2", "lead", "0", hour_ago)
    fake.add_conversion("s2", "t3", "sale", "5", hour_ago)

    result = keitaro(
        runner,
        "conversion",
        "get-all",
        "--range",
        "7d",
        "--status",
        "sale",
        "--subid",
        "s1",
        "--limit",
        "5",
    )

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "conversions/log")
    assert request.body["limit"] == 5
    assert request.body["filters"] == [
        {"name": "status", "operator": "EQUALS", "expression": "sale"},
        {"name": "sub_id", "operator": "EQUALS", "expression": "s1"},
    ]
    assert request.body["sort"] == [{"name": "postback_datetime", "order": "DESC"}]
    out = envelope(result)
    assert out["count"] == 1
    assert out["data"][0]["tid"] == "t1"


def test_conversion_get_all_reads_100_rows_unless_told(runner, fake):
    result = keitaro(runner, "conversion", "get-all")

    assert result.exit_code == 0, result.output
    [request] = sent(fake, "POST", "conversions/log")
    assert (request.body["limit"], request.body["offset"]) == (100, 0)
    assert request.body["filters"] == []


def test_click_get_all_with_all_reads_every_page(runner, fake):
    at = datetime(2026, 11, 1, 12, tzinfo=UTC)
    for n in range(1001):
        fake.add_click(f"sub{n}", at)

    result = keitaro(
        runner,
        "click",
        "get-all",
        "--all",
        "--range",
        "custom",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-01",
    )

    assert result.exit_code == 0, result.output
    assert envelope(result)["count"] == 1001
    pages = sent(fake, "POST", "clicks/log")
    assert [(p.body["offset"], p.body["limit"]) for p in pages] == [(0, 1000), (1000, 1000)]


# -- stored connections ----------------------------------------------------------------


def test_connections_add_prints_the_connection_with_keys_masked(runner, fake_keitaro):
    result = keitaro(
        runner,
        "connections",
        "add",
        "tracker",
        "--url",
        fake_keitaro.url,
        "--api-key",
        fake_keitaro.api_key,
        "--postback-key",
        fake_keitaro.postback_key,
        "--timezone",
        "Europe/Moscow",
    )

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["name"], shown["api_key"], shown["postback_key"]) == (
        "tracker",
        "fake…",
        "pbke…",
    )
    assert fake_keitaro.api_key not in result.output
    assert fake_keitaro.postback_key not in result.output
    assert db.session.scalars(select(KeitaroConnection.name)).all() == ["tracker"]


def test_connections_add_refuses_an_unknown_timezone(runner, fake_keitaro):
    result = keitaro(
        runner,
        "connections",
        "add",
        "tracker",
        "--url",
        fake_keitaro.url,
        "--api-key",
        fake_keitaro.api_key,
        "--timezone",
        "Mars/Olympus",
    )

    assert result.exit_code != 0
    assert "--timezone is “Mars/Olympus”, which is not a time zone" in result.stderr
    assert db.session.scalars(select(KeitaroConnection)).all() == []


def test_connections_list_masks_the_keys(runner, fake):
    result = keitaro(runner, "connections", "list")

    assert result.exit_code == 0, result.output
    [shown] = json.loads(result.stdout)
    assert (shown["name"], shown["api_key"], shown["default"]) == ("main", "fake…", True)
    assert fake.api_key not in result.output


def test_connections_test_proves_the_key_with_the_cheapest_documented_call(runner, fake):
    fake.campaigns[1] = dict(CAMPAIGN)

    result = keitaro(runner, "connections", "test", "main")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["connection"], report["ok"]) == ("main", True)
    assert report["checked"] == "GET /groups?type=campaigns"
    assert "warning" not in report
    [proof] = sent(fake, "GET", "groups")
    assert proof.query == {"type": "campaigns"}
    assert sent(fake, "GET", "campaigns") == []


def test_connections_test_with_a_refused_key_fails_in_one_line(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection(api_key="wrong-secret-key-987")

    result = keitaro(runner, "connections", "test")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: main: Keitaro refused the API key wron…")
    assert "wrong-secret-key-987" not in result.output
    assert fake_keitaro.requests[0].path == f"{API}/groups"


def test_connections_test_says_when_the_licence_lacks_the_admin_api(runner, fake):
    fake.licensed = False

    result = keitaro(runner, "connections", "test")

    assert result.exit_code == 1
    assert result.stderr == ("Error: main: this Keitaro licence does not include the Admin API\n")


def test_connections_test_says_when_the_url_is_not_the_admin_api(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection(url=fake_keitaro.url + "/admin")

    result = keitaro(runner, "connections", "test")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: main: ")
    assert "answered with a web page: this URL is not a Keitaro Admin API" in result.stderr


def test_connections_test_does_not_need_the_settings_endpoint(runner, fake, monkeypatch):
    admin_page_for_settings(fake, monkeypatch)

    result = keitaro(runner, "connections", "test")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert "tracker_timezone" not in report


def test_connections_test_warns_when_the_trackers_timezone_differs(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection(timezone="UTC")

    result = keitaro(runner, "connections", "test")

    assert result.exit_code == 0, result.output
    assert "Europe/Moscow" in json.loads(result.stdout)["warning"]


# -- settings --------------------------------------------------------------------------


def admin_page_for_settings(fake, monkeypatch):
    """The tracker answers GET /settings, which Keitaro's published API does not have,
    with its admin panel's page, as trackers without it do."""
    from werkzeug.wrappers import Response

    from tests.keitaro_fake import ADMIN_PAGE

    route = fake._route

    def without_settings(method, path, args, body):
        if path == "/settings":
            return Response(ADMIN_PAGE, content_type="text/html; charset=utf-8")
        return route(method, path, args, body)

    monkeypatch.setattr(fake, "_route", without_settings)


def test_settings_shows_what_a_tracker_with_the_endpoint_answers(runner, fake):
    result = keitaro(runner, "settings", "get")

    assert result.exit_code == 0, result.output
    assert envelope(result)["data"] == {"timezone": "Europe/Moscow", "currency": "USD"}


def test_settings_on_a_tracker_answering_with_a_page_says_it_has_no_settings_endpoint(
    runner, fake, monkeypatch
):
    admin_page_for_settings(fake, monkeypatch)

    result = keitaro(runner, "settings", "get")

    assert result.exit_code == 1
    out = envelope(result)
    assert (out["success"], out["data"]) == (False, None)
    assert out["error"]["message"].startswith("this tracker has no settings endpoint: ")
    assert "admin panel's web page" in out["error"]["message"]
    assert "JSON" not in out["error"]["message"]
    assert out["request"]["url"].endswith(f"{API}/settings")


def test_settings_without_the_endpoint_reads_as_one_line_in_a_table(runner, fake, monkeypatch):
    admin_page_for_settings(fake, monkeypatch)

    result = keitaro(runner, "settings", "get", "--table")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: this tracker has no settings endpoint: ")
    assert result.stdout == ""


def test_settings_on_a_tracker_answering_not_found_says_it_has_no_settings_endpoint(runner, fake):
    fake.answer_settings = False

    result = keitaro(runner, "settings", "get")

    assert result.exit_code == 1
    assert "this tracker has no settings endpoint" in envelope(result)["error"]["message"]


def test_settings_on_a_url_that_is_not_the_admin_api_says_that_instead(
    runner, fake_keitaro, keitaro_connection
):
    keitaro_connection(url=fake_keitaro.url + "/admin")

    result = keitaro(runner, "settings", "get")

    assert result.exit_code == 1
    error = envelope(result)["error"]
    assert error["type"] == "NotAnAdminApi"
    assert "not a Keitaro Admin API" in error["message"]
    assert "settings endpoint" not in error["message"]


def test_connections_remove_with_yes_removes_it(runner, fake):
    result = keitaro(runner, "connections", "remove", "main", "--yes")

    assert result.exit_code == 0, result.output
    assert "removed main" in result.stdout
    assert db.session.scalars(select(KeitaroConnection)).all() == []


def test_connections_remove_asks_first_and_keeps_it_on_no(runner, fake):
    result = keitaro(runner, "connections", "remove", "main", input="n\n")

    assert result.exit_code != 0
    assert "Remove 'main'" in result.output
    assert db.session.scalars(select(KeitaroConnection.name)).all() == ["main"]


def test_sync_status_prints_the_connections_state_as_json(runner, fake):
    result = keitaro(runner, "sync", "status")

    assert result.exit_code == 0, result.output
    [status] = json.loads(result.stdout)
    assert status["connection"] == "main"
    assert status["clicks"]["clicks_today"] == 0
    assert status["clicks"]["last_run"] is None


def test_postback_test_without_options_sends_a_test_subid_and_lead(runner, fake):
    result = keitaro(runner, "postback", "test")

    assert result.exit_code == 0, result.output
    (received,) = fake.postbacks_received
    assert received["subid"].startswith("pbhub-test-") and received["status"] == "lead"


def test_a_secret_in_the_query_string_is_masked_in_the_printed_request(runner, fake):
    result = keitaro(runner, "integration", "set-avscan", "--key", "av-secret-123")

    assert result.exit_code == 0, result.output
    assert "av-secret-123" not in result.stdout
    assert "avscan_key=av-s" in envelope(result)["request"]["url"]


# -- sync, forwarding and reconciliation -----------------------------------------------


def test_sync_clicks_imports_now_and_reports_what_it_read(runner, fake):
    fake.add_click("cli-1", datetime.now(UTC) - timedelta(minutes=5))
    fake.add_click("cli-2", datetime.now(UTC) - timedelta(hours=30))

    result = keitaro(runner, "sync", "clicks", "--since", "2d")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["imported"], report["read"], report["skipped"]) == (2, 2, 0)
    assert "clicks from main" in result.stderr


def test_sync_metadata_refreshes_the_names_now(runner, fake):
    fake.offers[3] = {"id": 3, "name": "Casino"}

    result = keitaro(runner, "sync", "metadata")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["offer"] == 1


def test_connections_map_sends_a_networks_clicks_to_a_source(runner, fake, source):
    result = keitaro(runner, "connections", "map", "main", "12", source["name"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["source_map"] == {"12": source["id"]}


def test_connections_update_makes_another_connection_the_default(runner, fake, keitaro_connection):
    keitaro_connection(name="second")

    result = keitaro(runner, "connections", "update", "second", "--default")

    assert result.exit_code == 0, result.output
    defaults = db.session.scalars(
        select(KeitaroConnection.name).where(KeitaroConnection.is_default)
    ).all()
    assert defaults == ["second"]


def test_forward_setup_creates_the_keitaro_postback_once(runner, fake):
    first = json.loads(keitaro(runner, "forward", "setup").stdout)
    again = json.loads(keitaro(runner, "forward", "setup").stdout)

    assert (first["created"], again["created"]) == (True, False)
    assert first["outbound_postback_id"] == again["outbound_postback_id"]


def test_reconcile_prints_the_differences_and_fails_when_there_are_some(runner, fake, convert):
    keitaro(runner, "forward", "setup")
    convert(click_id="rc-1", transaction_id="R1", payout="1.00")
    fake.conversions[0]["status"] = "rejected"

    result = keitaro(runner, "reconcile", "--since", "1h")

    assert result.exit_code == 1
    assert "status differs: 1" in result.stdout
    assert "subid=rc-1" in result.stdout


@pytest.mark.parametrize(
    ("lang", "ours", "theirs"),
    [
        pytest.param("C.UTF-8", "$1,234.50", "$1,000.00", id="en"),
        pytest.param("de_DE.UTF-8", "1.234,50\u00a0$", "1.000,00\u00a0$", id="de"),
    ],
)
def test_reconcile_writes_payouts_as_money_in_the_terminals_locale(
    runner, fake, convert, monkeypatch, lang, ours, theirs
):
    for name in ("LC_ALL", "LC_MONETARY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    keitaro(runner, "forward", "setup")
    convert(click_id="rc-3", transaction_id="R3", payout="1234.5", currency="USD")
    fake.conversions[0]["revenue"] = "1000"

    result = keitaro(runner, "reconcile", "--since", "1h")

    assert "payout differs: 1" in result.stdout
    assert f"payout={ours} keitaro_payout={theirs}" in result.stdout


def test_reconcile_as_json_exits_zero_when_everything_matches(runner, fake, convert):
    keitaro(runner, "forward", "setup")
    convert(click_id="rc-2", transaction_id="R2", payout="1.00")

    result = keitaro(runner, "reconcile", "--since", "1h", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["matches"], report["hub_forwarded"]) == (True, 1)
