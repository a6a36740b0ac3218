"""Dashboard pages as the server renders them: banners, forms, admin signatures, tickets."""

import pytest
from sqlalchemy.exc import DatabaseError, ProgrammingError

from app.extensions import db
from app.models import AdminSignature, Ticket
from app.services import signatures as signature_service


@pytest.fixture
def admin(sign_in):
    return sign_in("admin")


def test_the_postbacks_page_renders_empty_with_a_banner_when_the_database_fails(
    client, sign_in, database_fails
):
    sign_in()
    with database_fails("SELECT"):
        answer = client.get("/postbacks")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "The database cannot be read right now." in html
    assert "Conversions will show here once the database answers." in html


#: A database that answers but cannot be used: a damaged file, a schema behind the code.
BROKEN = [
    pytest.param(DatabaseError, "file is not a database", id="damaged"),
    pytest.param(ProgrammingError, 'relation "conversions" does not exist', id="not-migrated"),
]


@pytest.mark.parametrize(("error_class", "reason"), BROKEN)
def test_the_postbacks_page_opens_with_the_banner_on_a_broken_database(
    client, sign_in, database_fails, error_class, reason
):
    sign_in()
    with database_fails("SELECT", error_class=error_class, reason=reason):
        answer = client.get("/postbacks")
    assert (answer.status_code, answer.mimetype) == (200, "text/html")
    assert "The database cannot be read right now." in answer.get_data(as_text=True)


@pytest.mark.parametrize(("error_class", "reason"), BROKEN)
def test_other_pages_answer_the_503_page_on_a_broken_database(
    client, sign_in, database_fails, error_class, reason
):
    sign_in()
    with database_fails("SELECT", error_class=error_class, reason=reason):
        answer = client.get("/outbound")
    assert (answer.status_code, answer.mimetype) == (503, "text/html")
    assert "The database is unavailable" in answer.get_data(as_text=True)


def test_the_live_card_says_503_when_the_database_fails(client, sign_in, database_fails):
    sign_in()
    with database_fails("SELECT"):
        answer = client.get("/postbacks/live?window=1h")
    assert answer.status_code == 503
    assert "the database cannot be read" in answer.get_data(as_text=True)


def test_other_pages_answer_a_friendly_503_when_the_database_fails(client, sign_in, database_fails):
    sign_in()
    with database_fails("SELECT"):
        answer = client.get("/outbound")
    assert answer.status_code == 503
    assert "The database is unavailable" in answer.get_data(as_text=True)


def test_an_invalid_filter_in_the_address_is_ignored_with_a_notice(client, sign_in):
    sign_in()
    html = client.get("/postbacks?event=bogus&window=1h").get_data(as_text=True)
    assert "Ignored an invalid event in the address." in html
    assert 'aria-current="true">1h<' in html


def test_an_expired_page_link_falls_back_to_the_newest_page(client, sign_in):
    sign_in()
    html = client.get("/postbacks?cursor=garbage").get_data(as_text=True)
    assert "That page link has expired" in html


def test_the_drawer_escapes_markup_in_the_raw_request(client, sign_in, fire):
    conversion_id = fire(click_id="x", note="<script>alert(1)</script>")
    sign_in()
    html = client.get(f"/postbacks/conversions/{conversion_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_unknown_conversion_is_a_404_page(client, sign_in):
    sign_in()
    assert client.get("/postbacks/conversions/999999").status_code == 404


def test_admins_see_signatures_and_open_tickets_at_the_bottom_of_postbacks(client, admin):
    signature_service.report_unknown(signature_service.parse_sample("https://x/pb?foo=1&zip=2"))
    html = client.get("/postbacks").get_data(as_text=True)
    assert "Platform signatures" in html
    assert "Open support tickets" in html
    assert "https://x/pb?foo=1&amp;zip=2" in html


def test_operators_do_not_see_the_admin_sections(client, sign_in):
    sign_in("operator")
    html = client.get("/postbacks").get_data(as_text=True)
    assert "Open support tickets" not in html


# -- admin signatures -----------------------------------------------------------------------

VALID = {
    "id": "my_network",
    "name": "My Network",
    "click_id_params": "clickid, sub1",
    "event_param": "goal",
    "amount_param": "sum",
    "currency_param": "",
    "field_map": '{"transaction_id": "txid"}',
    "event_map": '{"dep": "ftd"}',
}


def test_an_admin_signature_is_saved_from_the_drawer(client, admin, csrf):
    answer = client.post("/admin/signatures", data={**VALID, "csrf_token": csrf()})
    assert answer.status_code == 302
    row = AdminSignature.query.filter_by(id="my_network").one()
    assert row.click_id_params == ["clickid", "sub1"]
    assert row.field_map == {"transaction_id": "txid"}
    assert row.currency_param is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("field_map", "{not json", "Default field map is not valid JSON: check line 1, column 2"),
        ("field_map", "[1, 2]", "Default field map must be a JSON object, such as"),
        (
            "event_map",
            '{"a":' * 980 + "1" + "}" * 980,
            "Default event map is nested deeper than 32",
        ),
        (
            "event_map",
            '{"dep": "deposited"}',
            "Default event map: “dep” maps to “deposited”, which is not an event; use one of "
            "registration, ftd, qftd, ngr, deposit, cpa or unknown.",
        ),
        (
            "field_map",
            '{"nonsense": "x"}',
            "Default field map: the key “nonsense” is not a canonical field; use one of click_id",
        ),
        ("click_id_params", "", "Click-ID parameters must list 1 to 20 parameter names."),
        ("id", "Has Spaces", ""),
    ],
)
def test_signature_errors_are_shown_beside_their_field(client, admin, csrf, field, value, message):
    answer = client.post("/admin/signatures", data={**VALID, field: value, "csrf_token": csrf()})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f'data-error-for="{field}"' in html
    assert message in html
    assert "data-open-on-load" in html


def test_a_signature_id_taken_by_a_built_in_is_refused(client, admin, csrf):
    answer = client.post("/admin/signatures", data={**VALID, "id": "cake", "csrf_token": csrf()})
    assert answer.status_code == 409


def test_a_ticket_opens_a_prefilled_draft_and_saving_it_resolves_the_ticket(client, admin, csrf):
    sample = signature_service.parse_sample(
        "https://net.example/pb?aff_click=abcdef123456&sum=9.50"
    )
    ticket = signature_service.report_unknown(sample)
    html = client.get(f"/admin/signatures?draft={ticket.id}").get_data(as_text=True)
    assert f'value="ticket_{ticket.id}"' in html
    assert "aff_click" in html
    form = {**VALID, "id": f"ticket_{ticket.id}", "ticket": str(ticket.id), "csrf_token": csrf()}
    client.post("/admin/signatures", data=form)
    assert db.session.get(Ticket, ticket.id).state == "resolved"


def test_a_draft_keeps_its_ticket_through_a_failed_save_and_the_next_save_resolves_it(
    client, admin, csrf
):
    ticket = signature_service.report_unknown(
        signature_service.parse_sample("https://net.example/pb?aff_click=abcdef123456")
    )
    form = {**VALID, "id": f"ticket_{ticket.id}", "ticket": str(ticket.id), "csrf_token": csrf()}
    failed = client.post("/admin/signatures", data={**form, "name": ""})
    assert failed.status_code == 422
    html = failed.get_data(as_text=True)
    assert f"Signature from ticket #{ticket.id}" in html
    assert f'name="ticket" value="{ticket.id}"' in html
    saved = client.post("/admin/signatures", data=form, follow_redirects=True)
    assert f"Ticket #{ticket.id} is resolved." in saved.get_data(as_text=True)
    assert db.session.get(Ticket, ticket.id).state == "resolved"


def test_an_admin_signature_is_edited_and_deleted(client, admin, csrf):
    client.post("/admin/signatures", data={**VALID, "csrf_token": csrf()})
    html = client.get("/admin/signatures?edit=my_network").get_data(as_text=True)
    assert "Edit signature" in html
    client.post(
        "/admin/signatures",
        data={**VALID, "name": "Renamed", "editing": "my_network", "csrf_token": csrf()},
    )
    assert AdminSignature.query.filter_by(id="my_network").one().name == "Renamed"
    client.post("/admin/signatures/my_network/delete", data={"csrf_token": csrf()})
    assert AdminSignature.query.filter_by(id="my_network").count() == 0


def test_resolving_a_ticket_returns_to_the_page_it_was_resolved_on(client, admin, csrf):
    ticket = signature_service.report_unknown(signature_service.parse_sample("https://x/?a=1"))
    answer = client.post(
        f"/admin/tickets/{ticket.id}/resolve", data={"next": "/postbacks", "csrf_token": csrf()}
    )
    assert answer.headers["Location"] == "/postbacks"
    assert db.session.get(Ticket, ticket.id).state == "resolved"


def test_the_tickets_page_filters_by_state(client, admin):
    signature_service.report_unknown(signature_service.parse_sample("https://x/?open=1"))
    assert "open=1" in client.get("/admin/tickets").get_data(as_text=True)
    assert "open=1" not in client.get("/admin/tickets?state=resolved").get_data(as_text=True)


def test_add_signature_after_an_edit_opens_an_empty_drawer(client, admin, csrf):
    client.post("/admin/signatures", data={**VALID, "csrf_token": csrf()})
    edit = client.get("/admin/signatures?edit=my_network").get_data(as_text=True)
    assert 'href="/admin/signatures?new=1"' in edit
    blank = client.get("/admin/signatures?new=1").get_data(as_text=True)
    assert "data-open-on-load" in blank
    assert 'name="editing"' not in blank and 'value="my_network"' not in blank


def test_a_disabled_user_gets_no_reset_link(client, admin, csrf, make_account):
    user = make_account()
    user.active = False
    answer = client.post(f"/admin/users/{user.id}/reset", data={"csrf_token": csrf()})
    assert answer.status_code == 302
    assert "Enable" in client.get("/admin/users").get_data(as_text=True)


def test_the_reconcile_page_shows_a_key_that_no_longer_decrypts(
    client, sign_in, keitaro_connection
):
    row = keitaro_connection()
    row.api_key_ciphertext = "not-a-ciphertext"
    db.session.commit()
    sign_in()
    answer = client.get(f"/keitaro/{row.id}/reconcile?since=24h")
    assert answer.status_code == 502
    assert "Keitaro:" in answer.get_data(as_text=True)
