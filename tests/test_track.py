"""The Track URL: mint a click token, record the click, redirect to the offer only."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from werkzeug.urls import iri_to_uri

from app.core import cid
from app.core.offer import UnusableOfferURL, offer_parts
from app.extensions import db
from app.ingest.clicks import get_recorder
from app.models import Click, DirtyHour, Source
from app.runtime import keyring, source_cache


def test_following_a_track_url_redirects_to_the_offer_with_a_verifiable_token(client, source):
    answer = client.get(source["track_path"])
    assert answer.status_code == 302
    assert answer.headers["Cache-Control"] == "no-store"
    token = answer.headers["Location"].split("_cid=")[1]
    assert cid.verify(keyring().click_token, token).source_id == source["id"]


def test_the_click_is_recorded_with_hashed_address_and_request_details(client, source):
    answer = client.get(
        source["track_path"] + "?sub1=abc",
        headers={"User-Agent": "Mozilla/5.0", "Referer": "https://ads.example/"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    click = db.session.scalars(select(Click)).one()
    assert click.click_id == answer.headers["Location"].split("_cid=")[1]
    assert (click.user_agent, click.referrer, click.params) == (
        "Mozilla/5.0",
        "https://ads.example/",
        {"sub1": "abc"},
    )
    assert click.ip_hash and "203.0.113.9" not in click.ip_hash


def offer_location(offer_url, token):
    return token.join(offer_parts(offer_url))


def test_a_cid_macro_in_the_offer_url_is_replaced_in_place():
    assert offer_location("https://o.test/?s={cid}&x=1", "TOKEN") == "https://o.test/?s=TOKEN&x=1"
    assert offer_location("https://o.test/lp?x=1#top", "T") == "https://o.test/lp?x=1&_cid=T#top"
    assert offer_location("https://o.test/{cid}/lp?c={cid}", "T") == "https://o.test/T/lp?c=T"
    assert offer_location("https://o.test", "T") == "https://o.test?_cid=T"


def test_a_non_ascii_offer_url_is_sent_as_a_uri():
    location = offer_location("https://пример.рф/лендинг?s={cid}&q=ё", "T0k-_n")
    assert (
        location
        == "https://xn--e1afmkfd.xn--p1ai/%D0%BB%D0%B5%D0%BD%D0%B4%D0%B8%D0%BD%D0%B3?s=T0k-_n&q=%D1%91"
    )


url_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("{}?&#=/%:@"),
    max_size=30,
)


@given(
    host=st.sampled_from(["offer.test", "пример.рф", "a.b.example:8443", "user@h.test"]),
    path=url_text,
    query=url_text,
    macro=st.booleans(),
)
def test_the_location_is_what_werkzeug_would_make_of_the_joined_offer_url(host, path, query, macro):
    token = "AbC-_9" * 7
    offer = f"https://{host}/{path}?{query}" + ("&c={cid}" if macro else "")
    if "{cid}" in offer:
        expected = iri_to_uri(offer.replace("{cid}", token))
    else:
        expected = iri_to_uri(offer_location_plain(offer, token))
    assert offer_location(offer, token) == expected


def offer_location_plain(offer_url, token):
    """The offer URL with ``_cid`` appended, as before any conversion."""
    from urllib.parse import urlsplit, urlunsplit

    scheme, netloc, path, query, fragment = urlsplit(offer_url)
    query = f"{query}&_cid={token}" if query else f"_cid={token}"
    return urlunsplit((scheme, netloc, path, query, fragment))


@pytest.mark.parametrize(
    "offer_url",
    [
        "https://offer.test:99999/lp",
        "https://a..b.test/lp",
        "https://{cid}.offer.test/lp",
        "https://offer.test/lp?x=pbhubcidslot0",
        "https://[::1/lp",
        "https://[offer]/lp",
    ],
)
def test_an_offer_url_no_redirect_can_be_built_from_is_refused(offer_url):
    with pytest.raises(UnusableOfferURL):
        offer_parts(offer_url)


@pytest.mark.parametrize("offer_url", ["https://offer.test:99999/lp", "https://[::1/lp"])
def test_the_api_refuses_an_offer_url_it_could_not_redirect_to(client, operator_headers, offer_url):
    answer = client.post(
        "/api/v1/sources",
        json={"name": "bad offer", "offer_url": offer_url},
        headers=operator_headers,
    )
    assert answer.status_code == 422
    assert "offer_url" in answer.get_json()["error"]["fields"]


def test_a_non_ascii_host_is_spelled_as_browsers_spell_it():
    assert offer_location("https://faß.de/lp", "T") == "https://xn--fa-hia.de/lp?_cid=T"
    assert offer_location("https://u@ñ.test:8443/", "T") == "https://u@xn--ida.test:8443/?_cid=T"


def test_the_macro_may_sit_in_the_userinfo_or_fragment():
    assert offer_location("https://u:{cid}@offer.test/lp", "T") == "https://u:T@offer.test/lp"
    assert offer_location("https://offer.test/lp#{cid}", "T") == "https://offer.test/lp#T"


def test_an_unusable_offer_url_saved_earlier_stops_its_redirects_not_its_postbacks(client, source):
    db.session.execute(
        update(Source).where(Source.id == source["id"]).values(offer_url="https://a..b.test/")
    )
    db.session.commit()
    source_cache().clear()
    assert client.get(source["track_path"]).status_code == 404
    assert client.get(source["postback_path"] + "?click_id=x&txid=1").status_code == 200


def test_the_redirect_is_an_empty_302_that_keeps_the_offer_private(client, source):
    answer = client.get(source["track_path"])
    assert (answer.status_code, answer.data) == (302, b"")
    assert answer.headers["Content-Length"] == "0"
    assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_the_redirect_never_goes_to_a_url_taken_from_the_request(client, source):
    answer = client.get(source["track_path"] + "?url=https://evil.test/&next=//evil.test&_cid=x")
    assert answer.headers["Location"].startswith("https://offer.test/lp?_cid=")
    assert "evil" not in answer.headers["Location"]


def test_unknown_track_urls_and_sources_without_offer_answer_404(client, make_source):
    assert client.get("/t/nothing-here").status_code == 404
    bare = make_source(offer_url=None)
    assert client.get(bare["track_path"]).status_code == 404


def test_buffered_clicks_reach_the_database_on_flush(app, client, source):
    recorder = get_recorder(app)
    recorder.buffered, recorder.batch.batch_size = True, 1000
    for _ in range(3):
        client.get(source["track_path"])
    assert db.session.scalars(select(Click)).all() == []
    assert recorder.flush() == 3
    assert len(db.session.scalars(select(Click)).all()) == 3


def test_head_requests_redirect_without_recording_a_click(client, source):
    assert client.head(source["track_path"]).status_code == 302
    assert db.session.scalars(select(Click)).all() == []


def test_a_click_the_database_refuses_does_not_hold_back_the_others(app, client, source):
    from datetime import UTC, datetime

    recorder = get_recorder(app)
    recorder.buffered, recorder.batch.batch_size = True, 1000
    client.get(source["track_path"])
    recorder.record(
        {
            "source_id": 987654,
            "click_id": "orphan",
            "origin": "track",
            "clicked_at": datetime.now(UTC),
            "country": None,
            "ip_hash": None,
            "user_agent": None,
            "referrer": None,
            "params": None,
        }
    )
    client.get(source["track_path"])
    recorder.flush()
    assert sorted(c.source_id for c in db.session.scalars(select(Click))) == [source["id"]] * 2


def test_a_paused_source_keeps_redirecting_and_an_archived_one_answers_404(
    client, source, operator_headers
):
    path = f"/api/v1/sources/{source['id']}"
    client.post(path + "/pause", headers=operator_headers)
    assert client.get(source["track_path"]).status_code == 302
    client.patch(path, json={"state": "archived"}, headers=operator_headers)
    assert client.get(source["track_path"]).status_code == 404


def test_the_background_thread_writes_buffered_clicks_on_its_own(app, client, source):
    import time

    recorder = get_recorder(app)
    recorder.buffered, recorder.batch.interval = True, 0.05
    client.get(source["track_path"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not db.session.scalars(select(Click)).all():
        db.session.rollback()
        time.sleep(0.05)
    assert len(db.session.scalars(select(Click)).all()) == 1


def test_a_batch_of_clicks_marks_its_hour_dirty_once(app, client, source):
    recorder = get_recorder(app)
    recorder.buffered, recorder.batch.batch_size = True, 1000
    db.session.query(DirtyHour).delete()
    db.session.commit()
    for _ in range(20):
        client.get(source["track_path"])
    recorder.flush()
    assert db.session.scalar(select(func.count()).select_from(Click)) == 20
    assert db.session.scalar(select(func.count()).select_from(DirtyHour)) <= 2  # an hour may turn
