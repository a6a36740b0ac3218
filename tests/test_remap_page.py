"""The dashboard's Re-map history page: Preview shows what would change, Apply writes it."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Conversion, Remap
from tests.remapping import demote_one, race_every_remap


@pytest.fixture
def demoted(client, operator_headers, source):
    return demote_one(client, operator_headers, source)


@pytest.fixture
def page_path(source):
    return f"/sources/{source['id']}/remap"


@pytest.fixture
def submit(client, csrf, page_path):
    """Press a button of the page's form (``preview`` or ``apply``) with these fields."""

    def submit(action, **form):
        form.setdefault("days", "7")
        return client.post(page_path, data={"action": action, "csrf_token": csrf(), **form})

    return submit


def attribution_of(conversion_id):
    db.session.expire_all()
    return db.session.get(Conversion, conversion_id).attribution


def remap_entries():
    return db.session.scalar(select(func.count()).select_from(Remap))


def test_the_sources_list_offers_admins_the_re_map_page(client, sign_in, source, page_path):
    sign_in("admin")
    html = client.get("/postbacks").get_data(as_text=True)
    assert f'href="{page_path}">Re-map history</a>' in html


def test_the_sources_list_offers_operators_no_re_map(client, sign_in, source):
    sign_in("operator")
    assert "Re-map history" not in client.get("/postbacks").get_data(as_text=True)


def test_the_page_shows_the_form_with_a_week_by_default(client, sign_in, page_path):
    sign_in("admin")
    html = client.get(page_path).get_data(as_text=True)
    assert 'name="days" type="number" min="1" max="3660" required value="7"' in html
    assert ">Preview</button>" in html and ">Apply</button>" in html


def test_preview_lists_the_demotion_and_writes_nothing(sign_in, demoted, submit):
    sign_in("admin")
    answer = submit("preview")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Conversions that would change" in html
    assert "1 matched conversion would no longer be matched to a click. Check the field map" in html
    assert f'data-changed-conversion="{demoted["conversion_id"]}"' in html
    assert "<td>matched</td>" in html and "unmatched" in html
    assert attribution_of(demoted["conversion_id"]) == "matched"
    assert remap_entries() == 0


def test_apply_writes_the_change_and_says_what_changed(sign_in, demoted, submit, source):
    sign_in("admin")
    html = submit("apply").get_data(as_text=True)
    assert f"Re-mapped {source['name']}: 1 of 1 conversions changed" in html
    assert "1 of them is no longer matched to a click." in html
    assert "Conversions changed" in html
    assert attribution_of(demoted["conversion_id"]) == "unmatched"
    assert remap_entries() == 1


def test_the_filters_limit_what_is_previewed(sign_in, demoted, submit):
    sign_in("admin")
    html = submit("preview", attribution="unmatched").get_data(as_text=True)
    assert "Nothing would change" in html


@pytest.mark.parametrize("days", ["0", "1.5", "week", ""])
def test_a_bad_number_of_days_is_explained_beside_the_field(sign_in, demoted, submit, days):
    sign_in("admin")
    answer = submit("apply", days=days)
    assert answer.status_code == 422
    assert "Last days must be a whole number from 1 to 3660, such as 7." in (
        answer.get_data(as_text=True)
    )
    assert attribution_of(demoted["conversion_id"]) == "matched"


def test_a_postback_that_races_the_re_map_shows_a_banner_to_run_it_again(
    sign_in, demoted, submit, monkeypatch
):
    sign_in("admin")
    race_every_remap(monkeypatch)
    answer = submit("apply")
    assert answer.status_code == 409
    assert "run the re-map again: press Preview or Apply again." in answer.get_data(as_text=True)
    assert remap_entries() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_operators_cannot_re_map(client, sign_in, csrf, demoted, page_path, method):
    sign_in("operator")
    answer = getattr(client, method)(
        page_path, data={"action": "apply", "days": "7", "csrf_token": csrf()}
    )
    assert answer.status_code == 403
    assert attribution_of(demoted["conversion_id"]) == "matched"


def test_apply_without_the_csrf_token_is_refused(client, sign_in, demoted, page_path):
    sign_in("admin")
    answer = client.post(page_path, data={"action": "apply", "days": "7"})
    assert answer.status_code == 400
    assert attribution_of(demoted["conversion_id"]) == "matched"


def test_an_unknown_source_has_no_re_map_page(client, sign_in):
    sign_in("admin")
    assert client.get("/sources/999999/remap").status_code == 404
