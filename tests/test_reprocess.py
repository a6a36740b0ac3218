"""Re-map history: fixing a map fixes the stored past, as ingest would have decided."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.core.cid import mint
from app.extensions import db
from app.models import Conversion, Remap, Source
from app.models.types import utcnow
from app.runtime import keyring
from app.services import reprocess as remapping
from tests.remapping import demote_one, race_every_remap


@pytest.fixture
def network(make_source):
    """A source whose network echoes our click id under ``sub`` (not yet mapped)."""
    return make_source(event_map={"reg": "registration"})


@pytest.fixture
def remap(client, operator_headers, network):
    def run(**body):
        body.setdefault("days", 7)
        answer = client.post(
            f"/api/v1/sources/{network['id']}/reprocess", json=body, headers=operator_headers
        )
        return answer

    return run


@pytest.fixture
def edit(client, operator_headers, network):
    def change(**fields):
        answer = client.patch(
            f"/api/v1/sources/{network['id']}", json=fields, headers=operator_headers
        )
        assert answer.status_code == 200

    return change


@pytest.fixture
def set_map(edit):
    return lambda **field_map: edit(field_map=field_map)


@pytest.fixture
def run(network):
    """The re-map service itself, over the last 7 days; its report as the API shows it."""

    def run(**options):
        source = db.session.get(Source, network["id"])
        window = remapping.window({"days": 7, **options})
        return remapping.reprocess(source, token_key=keyring().click_token, **window).as_dict()

    return run


@pytest.fixture
def demoted(client, operator_headers, network):
    """One matched conversion that the current field map no longer matches."""
    return demote_one(client, operator_headers, network)


@pytest.fixture
def mixed_history(post, set_map, edit, network):
    """Three conversions that a map change moves three ways: two become matched (one of
    them also a first deposit), and one is read as rejected."""
    token = token_for(network)
    post(sub=token, event="reg", transaction_id="T1")
    post(sub=token, event="dep", transaction_id="T2")
    post(event="reg", transaction_id="T3", state="rejected")
    edit(event_map={"reg": "registration", "dep": "ftd"})
    set_map(click_id="sub", status="state")


def conversions():
    db.session.expire_all()
    return db.session.scalars(select(Conversion).order_by(Conversion.id)).all()


def token_for(network):
    return mint(keyring().click_token, network["id"], utcnow())


def test_a_fixed_click_id_map_matches_the_past(post, remap, set_map, network):
    for n in range(3):
        assert post(sub=token_for(network), event="reg", transaction_id=f"T{n}")["attribution"] == (
            "unmatched"
        )
    set_map(click_id="sub")
    report = remap().get_json()
    assert [change["transaction_id"] for change in report.pop("changes")] == ["T0", "T1", "T2"]
    assert report == {
        "examined": 3,
        "changed": 3,
        "unchanged": 0,
        "now_matched": 3,
        "now_duplicate": 0,
        "no_longer_matched": 0,
        "no_longer_duplicate": 0,
        "skipped": 0,
        "dry_run": False,
        "fields_changed": {"attribution": 3, "click_id": 3, "clicked_at": 3},
        "transitions": [
            {
                "field": "attribution",
                "from": "unmatched",
                "to": "matched",
                "count": 3,
                "demotion": False,
            }
        ],
        "changes_listed": 3,
        "changes_more": 0,
    }
    assert {c.attribution for c in conversions()} == {"matched"}


def test_each_changed_conversion_keeps_what_changed(post, remap, set_map, network):
    token = token_for(network)
    post(sub=token, event="reg", transaction_id="T1")
    set_map(click_id="sub")
    remap()
    [entry] = db.session.scalars(select(Remap)).all()
    assert entry.changes["attribution"] == ["unmatched", "matched"]
    assert entry.changes["click_id"] == [None, token]


def test_conversions_that_come_out_the_same_are_left_alone(post, remap):
    post(event="reg", transaction_id="T1")
    assert remap().get_json()["unchanged"] == 1
    assert db.session.scalar(select(func.count()).select_from(Remap)) == 0


def test_a_new_transaction_map_deduplicates_the_past_oldest_first(post, remap, set_map):
    first = post(event="reg", order="A-1", note="x")["conversion_id"]
    post(event="reg", order="A-1", note="y")
    set_map(transaction_id="order")
    report = remap().get_json()
    assert report["now_duplicate"] == 1
    kept, duplicate = conversions()
    assert (kept.id, kept.attribution, kept.transaction_id) == (first, "unmatched", "A-1")
    assert (duplicate.attribution, duplicate.duplicate_of_id) == ("duplicate", first)


def test_a_dry_run_counts_and_writes_nothing(post, remap, set_map, network):
    post(sub=token_for(network), event="reg", transaction_id="T1")
    set_map(click_id="sub")
    report = remap(dry_run=True).get_json()
    assert (report["changed"], report["dry_run"]) == (1, True)
    assert conversions()[0].attribution == "unmatched"


def test_filters_limit_what_is_re_mapped(post, remap, set_map, network):
    post(sub=token_for(network), event="reg", transaction_id="T1")
    post(sub=token_for(network), event="other", transaction_id="T2")
    set_map(click_id="sub")
    assert remap(event_type="registration").get_json()["changed"] == 1
    assert [c.attribution for c in conversions()] == ["matched", "unmatched"]


def test_status_changes_are_replayed_on_top(post, remap, set_map, network):
    token = token_for(network)
    post(sub=token, event="reg", transaction_id="T1", status="pending", payout="5")
    post(sub=token, event="reg", transaction_id="T1", status="approved", payout="7")
    set_map(click_id="sub")
    remap()
    [conversion] = [c for c in conversions() if c.attribution != "duplicate"]
    assert (conversion.status, str(conversion.payout_amount)) == ("approved", "7")
    assert conversion.attribution == "matched"


def test_changed_conversions_fire_their_follow_up(post, remap, set_map, network, monkeypatch):
    queued = []
    monkeypatch.setattr("app.api.captures.enqueue_follow_ups", queued.extend)
    conversion_id = post(sub=token_for(network), event="reg", transaction_id="T1")["conversion_id"]
    set_map(click_id="sub")
    remap()
    assert queued == [(conversion_id, "remapped")]


@pytest.mark.parametrize(
    "body",
    [
        {"days": 0},
        {"since": "2026-01-01T00:00:00+00:00", "days": 3},
        {"since": "2026-01-02T00:00:00+00:00", "until": "2026-01-01T00:00:00+00:00"},
        {"since": "yesterday"},
        {"days": 3, "attribution": "bogus"},
    ],
)
def test_a_bad_range_or_filter_is_a_422(remap, body):
    body.setdefault("days", None)
    if body["days"] is None:
        body.pop("days")
    assert remap(**body).status_code == 422


def test_the_cli_re_maps_with_a_progress_bar(runner, post, set_map, network):
    post(sub=token_for(network), event="reg", transaction_id="T1")
    set_map(click_id="sub")
    result = runner.invoke(args=["sources", "reprocess", str(network["id"]), "--days", "7"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["now_matched"] == 1


def test_the_conversion_shows_its_re_maps(client, operator_headers, post, remap, set_map, network):
    conversion_id = post(sub=token_for(network), event="reg", transaction_id="T1")["conversion_id"]
    set_map(click_id="sub")
    remap()
    detail = client.get(f"/api/v1/conversions/{conversion_id}", headers=operator_headers)
    [entry] = detail.get_json()["remaps"]
    assert entry["changes"]["attribution"] == ["unmatched", "matched"]


def test_a_key_released_after_24_hours_is_kept_by_a_no_change_re_map(post, remap):
    first = post(event="reg", note="same")["conversion_id"]
    db.session.execute(update(Conversion).values(received_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    second = post(event="reg", note="same")
    assert second["status"] == "accepted"
    report = remap(days=7).get_json()
    assert report["now_duplicate"] == 0
    assert {c.id: c.attribution for c in conversions()}[first] == "unmatched"


def test_a_body_stored_truncated_is_skipped(post, remap):
    post(event="reg", transaction_id="T1")
    db.session.execute(
        update(Conversion).values(raw_request={"query": {}, "body": "x", "body_truncated": True})
    )
    db.session.commit()
    report = remap().get_json()
    assert (report["skipped"], report["changed"]) == (1, 0)


def test_a_repeated_parameter_is_read_as_ingest_read_it(client, network, remap, set_map):
    token = token_for(network)
    client.get(f"{network['postback_path']}?sub={token}&sub=junk&event=reg&transaction_id=R")
    set_map(click_id="sub")
    remap()
    assert conversions()[0].click_id == token


def test_keys_that_swap_within_the_set_go_to_the_oldest(post, remap, set_map):
    older = post(event="reg", a="X", b="Y")["conversion_id"]
    newer = post(event="reg", a="Y", b="X")["conversion_id"]
    set_map(transaction_id="a")
    remap()
    set_map(transaction_id="b")
    assert remap().get_json()["now_duplicate"] == 0
    by_id = {c.id: c for c in conversions()}
    assert (by_id[older].transaction_id, by_id[newer].transaction_id) == ("Y", "X")
    assert {by_id[older].attribution, by_id[newer].attribution} == {"unmatched"}


def test_a_re_map_that_meets_a_concurrent_change_changes_nothing(
    post, remap, set_map, network, monkeypatch
):
    post(sub=token_for(network), event="reg", transaction_id="T1")
    set_map(click_id="sub")
    race_every_remap(monkeypatch)
    answer = remap()
    assert answer.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Remap)) == 0


def test_a_conversion_re_mapped_into_a_duplicate_owes_no_delivery(post, remap, set_map):
    post(event="reg", order="A-1", note="x")
    post(event="reg", order="A-1", note="y")
    set_map(transaction_id="order")
    remap()
    duplicate = conversions()[1]
    assert duplicate.attribution == "duplicate" and not duplicate.dispatch_pending
    assert duplicate.planned_revision == duplicate.revision


# -- transitions: every from -> to, demotions included ------------------------------------


def test_a_field_map_change_that_unmatches_a_conversion_counts_as_a_demotion(demoted, run):
    report = run()
    assert (report["no_longer_matched"], report["now_matched"]) == (1, 0)
    assert report["transitions"] == [
        {"field": "attribution", "from": "matched", "to": "unmatched", "count": 1, "demotion": True}
    ]


def test_every_transition_of_attribution_event_and_status_is_counted(mixed_history, run):
    assert run()["transitions"] == [
        {
            "field": "attribution",
            "from": "unmatched",
            "to": "matched",
            "count": 2,
            "demotion": False,
        },
        {"field": "event_type", "from": "unknown", "to": "ftd", "count": 1, "demotion": False},
        {"field": "status", "from": "approved", "to": "rejected", "count": 1, "demotion": False},
    ]


def test_each_fields_transitions_add_up_to_the_conversions_it_changed_on(mixed_history, run):
    report = run()
    for name in remapping.COUNTED:
        moved = sum(t["count"] for t in report["transitions"] if t["field"] == name)
        assert moved == report["fields_changed"].get(name, 0), name
    listed = [f["field"] for change in report["changes"] for f in change["fields"]]
    assert {name: listed.count(name) for name in set(listed)} == report["fields_changed"]


def test_a_dry_run_lists_each_conversion_that_would_change_with_old_and_new_values(demoted, run):
    report = run(dry_run=True)
    [change] = report["changes"]
    assert change["conversion_id"] == demoted["conversion_id"]
    assert (change["transaction_id"], change["click_id"]) == ("T1", demoted["click_id"])
    changed = {f["field"]: (f["from"], f["to"]) for f in change["fields"]}
    assert changed.keys() == {"attribution", "click_id", "clicked_at"}
    assert changed["attribution"] == ("matched", "unmatched")
    assert changed["click_id"] == (demoted["click_id"], None)
    assert conversions()[0].attribution == "matched"


def test_the_list_of_changes_stops_at_its_limit_and_counts_the_rest(
    post, set_map, network, run, monkeypatch
):
    monkeypatch.setattr(remapping, "LISTED", 2)
    for n in range(3):
        post(sub=token_for(network), event="reg", transaction_id=f"T{n}")
    set_map(click_id="sub")
    report = run(dry_run=True)
    assert [c["transaction_id"] for c in report["changes"]] == ["T0", "T1"]
    assert (report["changed"], report["changes_listed"], report["changes_more"]) == (3, 2, 1)


def test_a_real_run_lists_what_it_changed(demoted, remap):
    report = remap().get_json()
    assert [c["conversion_id"] for c in report["changes"]] == [demoted["conversion_id"]]
    assert conversions()[0].attribution == "unmatched"


def test_the_openapi_document_describes_the_transitions_and_the_changes(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    report = schemas["ReprocessReport"]["properties"]
    assert {"no_longer_matched", "transitions", "changes", "changes_more"} <= set(report)
    assert set(schemas["RemapTransition"]["properties"]) == {
        "field",
        "from",
        "to",
        "count",
        "demotion",
    }
    assert {"conversion_id", "transaction_id", "click_id", "fields"} <= set(
        schemas["RemapChange"]["properties"]
    )


# -- the command line ---------------------------------------------------------------------


def reprocess_command(runner, network, *options):
    return runner.invoke(args=["sources", "reprocess", str(network["id"]), "--days", "7", *options])


def test_the_cli_warns_of_a_demotion_below_the_report(runner, demoted, network):
    result = reprocess_command(runner, network)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["no_longer_matched"] == 1
    assert (
        "warning: attribution: matched → unmatched: 1 (1 conversion no longer matched)"
        in result.stderr.splitlines()
    )


def test_the_cli_dry_run_summarises_each_transition_and_writes_nothing(
    runner, mixed_history, network
):
    result = reprocess_command(runner, network, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert "3 of 3 conversions would change (dry run: nothing written)" in lines
    assert "  attribution: unmatched → matched: 2" in lines
    assert "  status: approved → rejected: 1" in lines
    assert not any(line.startswith("warning:") for line in lines)
    assert len(json.loads(result.stdout)["changes"]) == 3
    assert {c.attribution for c in conversions()} == {"unmatched"}


def test_the_cli_says_when_the_list_of_changes_is_cut(runner, post, set_map, network, monkeypatch):
    monkeypatch.setattr(remapping, "LISTED", 1)
    for n in range(3):
        post(sub=token_for(network), event="reg", transaction_id=f"T{n}")
    set_map(click_id="sub")
    result = reprocess_command(runner, network, "--dry-run")
    assert '"changes" lists the first 1; 2 more changed and are not listed' in result.stderr


def test_the_cli_exits_1_and_prints_no_report_when_a_postback_races_it(
    runner, demoted, network, monkeypatch
):
    race_every_remap(monkeypatch)
    result = reprocess_command(runner, network)
    assert result.exit_code == 1
    assert "run the re-map again" in result.stderr
    assert result.stdout == ""
