"""Each of the Admin API's operations sends the documented method, path, query and body.

The expected requests are written out by hand from Keitaro's published document, so this
table checks the client's operation table rather than repeating it.
"""

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.keitaro import errors
from app.keitaro.client import Keitaro
from app.keitaro.operations import OPERATIONS
from app.keitaro.pages import typed

CAMPAIGN = {"alias": "spring", "name": "Spring"}
BODY = {"name": "Renamed"}
COSTS = {
    "start_date": "2026-11-01",
    "end_date": "2026-11-02",
    "timezone": "UTC",
    "cost": "12.5",
    "currency": "USD",
}
STREAM = {
    "campaign_id": 1,
    "schema": "landings",
    "type": "regular",
    "name": "Main",
    "action_type": "http",
}
USER = {"login": "ann", "type": "USER", "new_password": "pw", "new_password_confirmation": "pw"}
RANGE = {"range": {"from": "2026-11-01", "to": "2026-11-02", "timezone": "UTC"}}
CLICK_COSTS = {"campaign_ids": [1], "costs": [COSTS]}
LABELS = {"campaign_id": 1, "ref_name": "sub_id_1", "items": {"a": "good"}}

# (operation key, call, method, path, query, body)
CASES = [
    ("campaigns.list", lambda k: k.campaigns.list(), "GET", "campaigns", {}, None),
    ("campaigns.get", lambda k: k.campaigns.get(1), "GET", "campaigns/1", {}, None),
    ("campaigns.create", lambda k: k.campaigns.create(CAMPAIGN), "POST", "campaigns", {}, CAMPAIGN),
    ("campaigns.update", lambda k: k.campaigns.update(1, BODY), "PUT", "campaigns/1", {}, BODY),
    ("campaigns.delete", lambda k: k.campaigns.delete(1), "DELETE", "campaigns/1", {}, None),
    ("campaigns.deleted", lambda k: k.campaigns.deleted(), "GET", "campaigns/deleted", {}, None),
    ("campaigns.clone", lambda k: k.campaigns.clone(1), "POST", "campaigns/1/clone", {}, None),
    ("campaigns.enable", lambda k: k.campaigns.enable(1), "POST", "campaigns/1/enable", {}, None),
    (
        "campaigns.disable",
        lambda k: k.campaigns.disable(1),
        "POST",
        "campaigns/1/disable",
        {},
        None,
    ),
    (
        "campaigns.restore",
        lambda k: k.campaigns.restore(1),
        "POST",
        "campaigns/1/restore",
        {},
        None,
    ),
    (
        "campaigns.update-costs",
        lambda k: k.campaigns.update_costs(1, COSTS),
        "POST",
        "campaigns/1/update_costs",
        {},
        COSTS,
    ),
    ("streams.list", lambda k: k.streams.list(1), "GET", "campaigns/1/streams", {}, None),
    ("streams.get", lambda k: k.streams.get(1), "GET", "streams/1", {}, None),
    ("streams.create", lambda k: k.streams.create(STREAM), "POST", "streams", {}, STREAM),
    ("streams.update", lambda k: k.streams.update(1, BODY), "PUT", "streams/1", {}, BODY),
    ("streams.delete", lambda k: k.streams.delete(1), "DELETE", "streams/1", {}, None),
    ("streams.deleted", lambda k: k.streams.deleted(), "GET", "streams/deleted", {}, None),
    ("streams.enable", lambda k: k.streams.enable(1), "POST", "streams/1/enable", {}, None),
    ("streams.disable", lambda k: k.streams.disable(1), "POST", "streams/1/disable", {}, None),
    ("streams.restore", lambda k: k.streams.restore(1), "POST", "streams/1/restore", {}, None),
    ("streams.events", lambda k: k.streams.events(1), "GET", "streams/1/events", {}, None),
    (
        "streams.search",
        lambda k: k.streams.search("geo"),
        "GET",
        "streams/search",
        {"query": "geo"},
        None,
    ),
    ("streams.filters", lambda k: k.streams.filters(), "GET", "stream_filters", {}, None),
    ("streams.schemas", lambda k: k.streams.schemas(), "GET", "stream_schemas", {}, None),
    ("streams.types", lambda k: k.streams.types(), "GET", "stream_types", {}, None),
    ("streams.actions", lambda k: k.streams.actions(), "GET", "streams_actions", {}, None),
    ("landings.list", lambda k: k.landings.list(), "GET", "landing_pages", {}, None),
    ("landings.get", lambda k: k.landings.get(3), "GET", "landing_pages/3", {}, None),
    ("landings.create", lambda k: k.landings.create(BODY), "POST", "landing_pages", {}, BODY),
    ("landings.update", lambda k: k.landings.update(3, BODY), "PUT", "landing_pages/3", {}, BODY),
    ("landings.delete", lambda k: k.landings.delete(3), "DELETE", "landing_pages/3", {}, None),
    ("landings.clone", lambda k: k.landings.clone(3), "PUT", "landing_pages/3/clone", {}, None),
    (
        "landings.download",
        lambda k: k.landings.download(3),
        "GET",
        "landing_pages/3/download",
        {},
        None,
    ),
    (
        "landings.get-file",
        lambda k: k.landings.get_file(3, "a/b.html"),
        "GET",
        "landing_pages/3/get_file",
        {"path": "a/b.html"},
        None,
    ),
    (
        "landings.get-structure",
        lambda k: k.landings.get_structure(3),
        "GET",
        "landing_pages/3/get_structure",
        {},
        None,
    ),
    (
        "landings.add-file",
        lambda k: k.landings.add_file(3, "new.html"),
        "POST",
        "landing_pages/3/add_file",
        {"path": "new.html"},
        None,
    ),
    (
        "landings.remove-file",
        lambda k: k.landings.remove_file(3, "old.html"),
        "DELETE",
        "landing_pages/3/remove_file",
        {"path": "old.html"},
        None,
    ),
    (
        "landings.update-file",
        lambda k: k.landings.update_file(3, "i.html", "<p>hi</p>"),
        "PUT",
        "landing_pages/3/update_file",
        {"path": "i.html", "data": "<p>hi</p>"},
        None,
    ),
    ("offers.list", lambda k: k.offers.list(), "GET", "offers", {}, None),
    ("offers.get", lambda k: k.offers.get(4), "GET", "offers/4", {}, None),
    ("offers.create", lambda k: k.offers.create(BODY), "POST", "offers", {}, BODY),
    ("offers.update", lambda k: k.offers.update(4, BODY), "PUT", "offers/4", {}, BODY),
    ("offers.archive", lambda k: k.offers.archive(4), "DELETE", "offers/4/archive", {}, None),
    ("offers.clone", lambda k: k.offers.clone(4), "POST", "offers/4/clone", {}, None),
    ("offers.download", lambda k: k.offers.download(4), "GET", "offers/4/download", {}, None),
    (
        "offers.get-file",
        lambda k: k.offers.get_file(4, "x.php"),
        "GET",
        "offers/4/get_file",
        {"path": "x.php"},
        None,
    ),
    (
        "offers.get-structure",
        lambda k: k.offers.get_structure(4),
        "GET",
        "offers/4/get_structure",
        {},
        None,
    ),
    (
        "offers.add-file",
        lambda k: k.offers.add_file(4, "y.php"),
        "POST",
        "offers/4/add_file",
        {"path": "y.php"},
        None,
    ),
    (
        "offers.remove-file",
        lambda k: k.offers.remove_file(4, "y.php"),
        "DELETE",
        "offers/4/remove_file",
        {"path": "y.php"},
        None,
    ),
    (
        "offers.update-file",
        lambda k: k.offers.update_file(4, "y.php", "ok"),
        "PUT",
        "offers/4/update_file",
        {"path": "y.php", "data": "ok"},
        None,
    ),
    (
        "affiliate_networks.list",
        lambda k: k.affiliate_networks.list(),
        "GET",
        "affiliate_networks",
        {},
        None,
    ),
    (
        "affiliate_networks.get",
        lambda k: k.affiliate_networks.get(5),
        "GET",
        "affiliate_networks/5",
        {},
        None,
    ),
    (
        "affiliate_networks.create",
        lambda k: k.affiliate_networks.create(BODY),
        "POST",
        "affiliate_networks",
        {},
        BODY,
    ),
    (
        "affiliate_networks.update",
        lambda k: k.affiliate_networks.update(5, BODY),
        "PUT",
        "affiliate_networks/5",
        {},
        BODY,
    ),
    (
        "affiliate_networks.delete",
        lambda k: k.affiliate_networks.delete(5),
        "DELETE",
        "affiliate_networks/5",
        {},
        None,
    ),
    (
        "affiliate_networks.clone",
        lambda k: k.affiliate_networks.clone(5),
        "POST",
        "affiliate_networks/5/clone",
        {},
        None,
    ),
    (
        "traffic_sources.list",
        lambda k: k.traffic_sources.list(),
        "GET",
        "traffic_sources",
        {},
        None,
    ),
    (
        "traffic_sources.get",
        lambda k: k.traffic_sources.get(6),
        "GET",
        "traffic_sources/6",
        {},
        None,
    ),
    (
        "traffic_sources.create",
        lambda k: k.traffic_sources.create(BODY),
        "POST",
        "traffic_sources",
        {},
        BODY,
    ),
    (
        "traffic_sources.update",
        lambda k: k.traffic_sources.update(6, BODY),
        "PUT",
        "traffic_sources/6",
        {},
        BODY,
    ),
    (
        "traffic_sources.delete",
        lambda k: k.traffic_sources.delete(6),
        "DELETE",
        "traffic_sources/6",
        {},
        None,
    ),
    (
        "traffic_sources.clone",
        lambda k: k.traffic_sources.clone(6),
        "POST",
        "traffic_sources/6/clone",
        {},
        None,
    ),
    ("domains.list", lambda k: k.domains.list(), "GET", "domains", {}, None),
    ("domains.get", lambda k: k.domains.get(7), "GET", "domains/7", {}, None),
    (
        "domains.create",
        lambda k: k.domains.create({"name": "t.example", "is_ssl": True}),
        "POST",
        "domains",
        {},
        {"name": "t.example", "is_ssl": True},
    ),
    (
        "domains.update",
        lambda k: k.domains.update(7, {"notes": "n"}),
        "PUT",
        "domains/7",
        {},
        {"notes": "n"},
    ),
    ("domains.delete", lambda k: k.domains.delete(7), "DELETE", "domains/7", {}, None),
    ("domains.deleted", lambda k: k.domains.deleted(), "GET", "domains/deleted", {}, None),
    ("domains.restore", lambda k: k.domains.restore(7), "POST", "domains/7/restore", {}, None),
    ("domains.check", lambda k: k.domains.check(7), "POST", "domains/7/check", {}, None),
    ("groups.list", lambda k: k.groups.list("offers"), "GET", "groups", {"type": "offers"}, None),
    (
        "groups.create",
        lambda k: k.groups.create({"name": "G", "type": "offers"}),
        "POST",
        "groups",
        {},
        {"name": "G", "type": "offers"},
    ),
    (
        "groups.update",
        lambda k: k.groups.update(8, {"name": "H"}),
        "PUT",
        "groups/8",
        {},
        {"name": "H"},
    ),
    ("groups.delete", lambda k: k.groups.delete(8), "DELETE", "groups/8/delete", {}, None),
    ("users.list", lambda k: k.users.list(), "GET", "users", {}, None),
    ("users.get", lambda k: k.users.get(9), "GET", "users/9", {}, None),
    ("users.create", lambda k: k.users.create(USER), "POST", "users", {}, USER),
    (
        "users.update",
        lambda k: k.users.update(9, {"login": "bob"}),
        "PUT",
        "users/9",
        {},
        {"login": "bob"},
    ),
    ("users.delete", lambda k: k.users.delete(9), "DELETE", "users/9", {}, None),
    (
        "users.access",
        lambda k: k.users.access(9, {"access_data": {"campaigns": [1]}}),
        "PUT",
        "users/9/access",
        {},
        {"access_data": {"campaigns": [1]}},
    ),
    ("botlist.list", lambda k: k.botlist.list(), "GET", "botlist", {}, None),
    (
        "botlist.add",
        lambda k: k.botlist.add("1.2.3.4"),
        "POST",
        "botlist/add",
        {},
        {"value": "1.2.3.4"},
    ),
    (
        "botlist.exclude",
        lambda k: k.botlist.exclude("1.2.3.4"),
        "POST",
        "botlist/exclude",
        {},
        {"value": "1.2.3.4"},
    ),
    (
        "botlist.replace",
        lambda k: k.botlist.replace("5.6.7.8"),
        "PUT",
        "botlist",
        {},
        {"value": "5.6.7.8"},
    ),
    ("botlist.clear", lambda k: k.botlist.clear(), "DELETE", "botlist", {}, None),
    (
        "clicks.log",
        lambda k: k.clicks.log({**RANGE, "limit": 5}),
        "POST",
        "clicks/log",
        {},
        {**RANGE, "limit": 5},
    ),
    (
        "clicks.update-costs",
        lambda k: k.clicks.update_costs(CLICK_COSTS),
        "POST",
        "clicks/update_costs",
        {},
        CLICK_COSTS,
    ),
    (
        "clicks.clean",
        lambda k: k.clicks.clean({"start_date": "2026-01-01", "end_date": "2026-01-02"}),
        "POST",
        "clicks/clean",
        {},
        {"start_date": "2026-01-01", "end_date": "2026-01-02"},
    ),
    (
        "conversions.log",
        lambda k: k.conversions.log({**RANGE, "limit": 5}),
        "POST",
        "conversions/log",
        {},
        {**RANGE, "limit": 5},
    ),
    (
        "reports.build",
        lambda k: k.reports.build({**RANGE, "grouping": ["campaign"], "metrics": ["clicks"]}),
        "POST",
        "report/build",
        {},
        {**RANGE, "grouping": ["campaign"], "metrics": ["clicks"]},
    ),
    (
        "reports.labels",
        lambda k: k.reports.labels(1, "good", "sub_id_1"),
        "GET",
        "report/labels",
        {"campaign_id": "1", "label_name": "good", "ref_name": "sub_id_1"},
        None,
    ),
    (
        "reports.update-labels",
        lambda k: k.reports.update_labels(LABELS),
        "POST",
        "report/labels",
        {},
        LABELS,
    ),
    (
        "logs.get",
        lambda k: k.logs.get("postbacks", limit=10, offset=20, query="x"),
        "GET",
        "logs/postbacks",
        {"limit": "10", "offset": "20", "query": "x"},
        None,
    ),
    ("logs.clear", lambda k: k.logs.clear("system"), "DELETE", "logs/system", {}, None),
    ("logs.types", lambda k: k.logs.types(), "POST", "logs/types", {}, None),
    (
        "integrations.avscan",
        lambda k: k.integrations.avscan(),
        "GET",
        "integrations/avscan",
        {},
        None,
    ),
    (
        "integrations.set-avscan",
        lambda k: k.integrations.set_avscan("av1"),
        "PUT",
        "integrations/avscan",
        {"avscan_key": "av1"},
        None,
    ),
    ("integrations.imklo", lambda k: k.integrations.imklo(), "GET", "integrations/imklo", {}, None),
    (
        "integrations.set-imklo",
        lambda k: k.integrations.set_imklo("https://i.example"),
        "PUT",
        "integrations/imklo",
        {"imklo_api_url": "https://i.example"},
        None,
    ),
    (
        "integrations.facebook-list",
        lambda k: k.integrations.facebook_list(),
        "GET",
        "integrations/facebook",
        {},
        None,
    ),
    (
        "integrations.facebook-create",
        lambda k: k.integrations.facebook_create(BODY),
        "POST",
        "integrations/facebook",
        {},
        BODY,
    ),
    (
        "integrations.facebook-get",
        lambda k: k.integrations.facebook_get(2),
        "GET",
        "integrations/facebook/2",
        {},
        None,
    ),
    (
        "integrations.facebook-update",
        lambda k: k.integrations.facebook_update(2, BODY),
        "PUT",
        "integrations/facebook/2",
        {},
        BODY,
    ),
    (
        "integrations.facebook-delete",
        lambda k: k.integrations.facebook_delete(2),
        "DELETE",
        "integrations/facebook/2",
        {},
        None,
    ),
    (
        "integrations.facebook-campaigns",
        lambda k: k.integrations.facebook_campaigns(2),
        "GET",
        "integrations/facebook/2/campaign",
        {},
        None,
    ),
    (
        "integrations.facebook-add-campaign",
        lambda k: k.integrations.facebook_add_campaign(2, 1),
        "POST",
        "integrations/facebook/2/campaign",
        {},
        {"campaign_id": 1},
    ),
    (
        "integrations.facebook-remove-campaign",
        lambda k: k.integrations.facebook_remove_campaign(2, 1),
        "DELETE",
        "integrations/facebook/2/campaign",
        {},
        {"campaign_id": 1},
    ),
    ("settings.get", lambda k: k.settings.get(), "GET", "settings", {}, None),
]


@pytest.fixture
def keitaro(fake_keitaro):
    fake_keitaro.campaigns[1] = {"id": 1, "alias": "old", "name": "Old", "postbacks": []}
    fake_keitaro.streams[1] = {"id": 1, "name": "Main", "filters": []}
    return Keitaro(fake_keitaro.url, fake_keitaro.api_key, sleep=lambda s: None)


def test_the_table_covers_the_107_documented_operations_and_settings():
    assert len(OPERATIONS) == 108
    assert {key for key, *_ in CASES} == {op.key for op in OPERATIONS}


@pytest.mark.parametrize(
    ("key", "call", "method", "path", "query", "body"), CASES, ids=[c[0] for c in CASES]
)
def test_each_operation_sends_its_method_path_query_and_body(
    fake_keitaro, keitaro, key, call, method, path, query, body
):
    # The fake holds few objects; the request is what is checked here, not the answer.
    with contextlib.suppress(errors.NotFound):
        call(keitaro)
    sent = fake_keitaro.requests[-1]
    assert (sent.method, sent.path, sent.query, sent.body) == (
        method,
        f"/admin_api/v1/{path}",
        query,
        body,
    )
    assert sent.headers["Api-Key"] == fake_keitaro.api_key


def test_a_body_is_validated_before_anything_is_sent(fake_keitaro, keitaro):
    with pytest.raises(errors.InvalidRequest, match="alias") as caught:
        keitaro.campaigns.create({"name": "No alias"})
    assert "alias" in caught.value.fields
    assert fake_keitaro.requests == []


def test_a_missing_required_query_parameter_is_refused_before_sending(fake_keitaro, keitaro):
    with pytest.raises(errors.InvalidRequest, match="path"):
        keitaro.offers.get_file(4, "")
    assert fake_keitaro.requests == []


def test_a_download_returns_the_archive_bytes(keitaro):
    assert keitaro.offers.download(4).startswith(b"PK")


def test_a_tracker_without_settings_says_it_is_older(fake_keitaro, keitaro):
    fake_keitaro.answer_settings = False
    with pytest.raises(errors.NotFound, match="does not answer GET /settings"):
        keitaro.settings.get()


def test_a_create_is_never_retried(fake_keitaro, keitaro):
    fake_keitaro.failures = [503]
    with pytest.raises(errors.Unavailable):
        keitaro.campaigns.create(CAMPAIGN)
    assert len(fake_keitaro.seen("/campaigns")) == 1


def test_a_clone_is_never_retried(fake_keitaro, keitaro):
    fake_keitaro.failures = [502]
    with pytest.raises(errors.Unavailable):
        keitaro.offers.clone(4)
    assert len(fake_keitaro.seen("/clone")) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda k: k.reports.build({"grouping": ["campaign"]}),
        lambda k: k.campaigns.enable(1),
        lambda k: k.campaigns.list(),
    ],
    ids=["report build", "enable", "list"],
)
def test_reads_reports_and_state_changes_are_retried(fake_keitaro, keitaro, call):
    fake_keitaro.failures = [503, 429]
    call(keitaro)
    assert len(fake_keitaro.requests) == 3


def test_a_licence_without_the_api_is_named(fake_keitaro, keitaro):
    fake_keitaro.licensed = False
    with pytest.raises(errors.LicenceRequired, match="licence"):
        keitaro.campaigns.list()


def test_field_errors_name_each_field(keitaro):
    with pytest.raises(errors.FieldErrors) as caught:
        keitaro.campaigns.create({"alias": "old", "name": "Again"})
    assert "alias" in caught.value.fields


def test_a_missing_object_is_a_plain_not_found(keitaro):
    with pytest.raises(errors.NotFound, match="not found"):
        keitaro.campaigns.get(404)


def test_the_admin_panel_answering_instead_of_the_api_is_detected(fake_keitaro):
    wrong = Keitaro(fake_keitaro.url + "/admin", fake_keitaro.api_key)
    with pytest.raises(errors.NotAnAdminApi, match="not a Keitaro Admin API"):
        wrong.campaigns.list()


def test_both_report_dialects_reach_keitaro_as_grouping_and_metrics(fake_keitaro, keitaro):
    keitaro.reports.build({"dimensions": ["offer"], "measures": ["clicks"]})
    body = fake_keitaro.requests[-1].body
    assert (body["grouping"], body["metrics"]) == (["offer"], ["clicks"])


def test_report_rows_come_with_string_numbers_read_exactly(fake_keitaro, keitaro):
    rows = list(keitaro.reports.iter_rows({"grouping": ["campaign"]}))
    assert rows == [{"campaign": "A", "clicks": 10, "revenue": Decimal("1.50")}]


def test_text_columns_that_look_numeric_stay_text():
    row = {"sub_id": "12345", "sub_id_1": "7", "external_id": "42", "clicks": "3"}
    assert typed(row) == {"sub_id": "12345", "sub_id_1": "7", "external_id": "42", "clicks": 3}


def test_every_operation_has_a_typed_method_on_its_resource(keitaro):
    for op in OPERATIONS:
        method = getattr(getattr(keitaro, op.resource), op.name.replace("-", "_"))
        assert callable(method), op.key


def test_the_announced_total_is_heard_before_the_first_row(fake_keitaro, keitaro):
    for n in range(3):
        fake_keitaro.add_click(f"t{n}", datetime.now(UTC) - timedelta(minutes=n + 1))
    heard = []
    rows = keitaro.clicks.iter_log({}, page_size=2, on_total=heard.append)
    next(rows)
    assert heard == [3]


def test_a_redirect_is_not_followed_so_the_key_stays_home(fake_keitaro, keitaro):
    from tests.keitaro_fake import FakeKeitaro

    elsewhere = FakeKeitaro().start()
    try:
        fake_keitaro.redirect_to = elsewhere.url
        with pytest.raises(errors.KeitaroError, match="redirects to"):
            keitaro.campaigns.list()
        assert elsewhere.requests == []
    finally:
        elsewhere.stop()


def test_a_guard_refusal_stops_the_call_before_it_is_sent(fake_keitaro):
    def refuse(url):
        raise errors.KeitaroError(f"refused {url}")

    guarded = Keitaro(fake_keitaro.url, fake_keitaro.api_key, guard=refuse)
    with pytest.raises(errors.KeitaroError, match="refused"):
        guarded.campaigns.list()
    assert fake_keitaro.requests == []
