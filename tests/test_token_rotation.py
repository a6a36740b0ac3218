"""Rotating a source's inbound token: the old one works for a grace period, marked."""

from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import Conversion, Source
from app.models.types import utcnow


def rotate(client, headers, source, **body):
    answer = client.post(f"/api/v1/sources/{source['id']}/rotate-token", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_new_token_is_shown_once_and_works(client, operator_headers, source):
    rotated = rotate(client, operator_headers, source)
    assert rotated["inbound_token"] != source["inbound_token"]
    answer = client.get(f"/pb/{rotated['inbound_token']}", query_string={"event": "dep"})
    assert answer.status_code == 200


def test_the_old_token_is_accepted_and_noted_during_the_grace(client, operator_headers, source):
    rotate(client, operator_headers, source, grace_hours=72)
    answer = client.get(source["postback_path"], query_string={"event": "dep"})
    assert answer.status_code == 200
    conversion = db.session.scalars(select(Conversion)).one()
    assert any("previous token" in note for note in conversion.parse_notes)


def test_the_old_token_is_refused_after_the_grace(client, operator_headers, source):
    rotate(client, operator_headers, source)
    db.session.execute(update(Source).values(previous_token_until=utcnow() - timedelta(1)))
    db.session.commit()
    assert client.get(source["postback_path"]).status_code == 403


def test_the_grace_can_be_ended_early(client, operator_headers, source):
    rotate(client, operator_headers, source)
    client.post(f"/api/v1/sources/{source['id']}/end-token-grace", headers=operator_headers)
    assert client.get(source["postback_path"]).status_code == 403


def test_a_grace_longer_than_a_week_is_refused(client, operator_headers, source):
    answer = client.post(
        f"/api/v1/sources/{source['id']}/rotate-token",
        json={"grace_hours": 200},
        headers=operator_headers,
    )
    assert answer.status_code == 422


def test_the_cli_rotates_a_token(runner, source):
    result = runner.invoke(args=["sources", "rotate-token", str(source["id"])])
    assert result.exit_code == 0, result.output
    assert "inbound_token" in result.output


def test_the_cli_ends_the_grace(runner, client, operator_headers, source):
    rotate(client, operator_headers, source)
    result = runner.invoke(args=["sources", "end-token-grace", str(source["id"])])
    assert result.exit_code == 0, result.output
    assert client.get(source["postback_path"]).status_code == 403
