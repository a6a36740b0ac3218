"""Bearer tokens and roles on every API route."""

import re

import pytest

from app.extensions import db
from app.models.types import utcnow

OPERATOR_ROUTES = [
    ("GET", "/api/v1/sources"),
    ("POST", "/api/v1/sources"),
    ("GET", "/api/v1/sources/1"),
    ("PATCH", "/api/v1/sources/1"),
    ("POST", "/api/v1/sources/1/pause"),
    ("POST", "/api/v1/sources/1/resume"),
    ("GET", "/api/v1/sources/1/postback-url"),
    ("GET", "/api/v1/conversions"),
    ("GET", "/api/v1/conversions.csv"),
    ("GET", "/api/v1/conversions/1"),
    ("GET", "/api/v1/stats"),
    ("POST", "/api/v1/sources/detect"),
    ("POST", "/api/v1/sources/from-detection"),
    ("GET", "/api/v1/signatures"),
    ("POST", "/api/v1/sources/1/capture"),
    ("GET", "/api/v1/sources/1/capture"),
    ("POST", "/api/v1/sources/1/capture/finalize"),
    ("POST", "/api/v1/sources/1/reprocess"),
    ("POST", "/api/v1/sources/1/rotate-token"),
    ("POST", "/api/v1/sources/1/end-token-grace"),
    ("POST", "/api/v1/outbound-postbacks"),
    ("GET", "/api/v1/outbound-postbacks"),
    ("GET", "/api/v1/outbound-postbacks/1"),
    ("PATCH", "/api/v1/outbound-postbacks/1"),
    ("DELETE", "/api/v1/outbound-postbacks/1"),
    ("POST", "/api/v1/outbound-postbacks/1/test"),
    ("POST", "/api/v1/outbound-postbacks/1/rotate-secret"),
    ("POST", "/api/v1/outbound-postbacks/1/end-grace"),
    ("POST", "/api/v1/outbound-postbacks/1/probe"),
    ("GET", "/api/v1/outbound-postbacks/1/deliveries"),
    ("POST", "/api/v1/outbound-postbacks/1/replay-dead"),
    ("POST", "/api/v1/deliveries/1/replay"),
    ("GET", "/api/v1/keitaro/connections"),
    ("GET", "/api/v1/keitaro/connections/1/sync"),
    ("POST", "/api/v1/keitaro/connections/1/sync"),
    ("GET", "/api/v1/keitaro/connections/1/reconcile"),
]
ADMIN_ROUTES = [
    ("DELETE", "/api/v1/sources/1"),
    ("GET", "/api/v1/admin/signatures"),
    ("POST", "/api/v1/admin/signatures"),
    ("GET", "/api/v1/admin/signatures/acme"),
    ("PATCH", "/api/v1/admin/signatures/acme"),
    ("DELETE", "/api/v1/admin/signatures/acme"),
    ("GET", "/api/v1/admin/tickets"),
    ("POST", "/api/v1/admin/tickets/1/resolve"),
    ("GET", "/api/v1/admin/tickets/1/draft-signature"),
    ("POST", "/api/v1/keitaro/connections"),
    ("PATCH", "/api/v1/keitaro/connections/1"),
    ("DELETE", "/api/v1/keitaro/connections/1"),
    ("POST", "/api/v1/keitaro/connections/1/test"),
    ("POST", "/api/v1/keitaro/connections/1/forwarding"),
]


@pytest.mark.parametrize(("method", "path"), OPERATOR_ROUTES + ADMIN_ROUTES)
def test_every_api_route_needs_a_bearer_token(client, method, path):
    answer = client.open(path, method=method)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.get_json()["error"]["code"] == "unauthorized"


def test_every_api_route_is_covered_by_these_tests(app):
    declared = {
        (method, re.sub(r"<(?:big)?id:\w+>", "1", rule.rule).replace("<signature_id>", "acme"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert declared == set(OPERATOR_ROUTES + ADMIN_ROUTES)


def test_an_unknown_token_is_refused(client):
    assert (
        client.get("/api/v1/stats", headers={"Authorization": "Bearer pbh_nope"}).status_code == 401
    )


def test_a_revoked_token_is_refused(client, make_user):
    from app.services.users import create_token

    user = make_user()
    token = create_token(user)
    user.tokens[0].revoked_at = utcnow()
    db.session.commit()
    assert (
        client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


def test_a_disabled_users_token_is_refused(client, make_user):
    from app.services.users import create_token

    user = make_user()
    token = create_token(user)
    user.active = False
    db.session.commit()
    assert (
        client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_admin_routes_refuse_operators(client, operator_headers, method, path):
    answer = client.open(path, method=method, headers=operator_headers)
    assert answer.status_code == 403


def test_admins_may_use_operator_routes(client, admin_headers):
    assert client.get("/api/v1/stats", headers=admin_headers).status_code == 200


def test_the_openapi_document_is_generated_from_the_schemas(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/sources", "/api/v1/conversions", "/api/v1/stats"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    assert "attribution_window_days" in schemas["SourceIn"]["properties"]
    create = document["paths"]["/api/v1/sources"]["post"]
    assert {"201", "409", "422"} <= set(create["responses"])


def test_unknown_api_paths_and_methods_answer_in_the_error_shape(client, operator_headers):
    assert (
        client.get("/api/v1/nothing", headers=operator_headers).get_json()["error"]["code"]
        == "not_found"
    )
    answer = client.put("/api/v1/stats", headers=operator_headers)
    assert answer.status_code == 405
    assert answer.get_json()["error"]["code"] == "method_not_allowed"
