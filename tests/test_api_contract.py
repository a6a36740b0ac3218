"""The API's contract: ``/api/v1/openapi.json`` is valid OpenAPI 3.0 that states every
parameter and every answer of every operation, and the API keeps it.

The document is held against openapi-spec-validator; the API against Schemathesis, an
independent tester that generates requests from the document (valid and invalid ones,
and chains that follow its links: create a source, then use its id) and checks every
answer: no server error, only documented status codes and content types, bodies that
match their schema. Its settings are in ``tests/schemathesis.toml``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import configuration
from openapi_spec_validator import validate
from schemathesis.engine import Status, events, from_schema
from schemathesis.engine.run import PhaseName

from app.outbound import ssrf
from app.queue import get_queue
from tests.test_api_auth import ADMIN_ROUTES

CONFIG = Path(__file__).with_name("schemathesis.toml")
METHODS = ("get", "put", "post", "delete", "patch")
#: Failures shown in full when the tester finds any; the rest are counted.
SHOWN = 10


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def resolved(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """A response object, its ``$ref`` (into components/responses) followed."""
    if "$ref" not in response:
        return response
    return document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]


def missing(document: dict[str, Any], status: str, applies: Any) -> list[str]:
    """The operations that ``applies(path, method, operation)`` selects and that do not
    document ``status``."""
    return [
        f"{method.upper()} {path}"
        for path, method, operation in operations(document)
        if applies(path, method, operation) and status not in operation["responses"]
    ]


def test_the_document_is_valid_openapi_3(document):
    validate(document)


def test_every_path_parameter_is_declared_with_its_type(document):
    for path, method, operation in operations(document):
        declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"}
        assert set(declared) == set(re.findall(r"\{(\w+)\}", path)), f"{method} {path}"
        for parameter in declared.values():
            assert parameter["required"] is True, f"{method} {path}"
            assert parameter["schema"]["type"] in ("integer", "string"), f"{method} {path}"


def test_an_id_in_a_path_is_an_integer_within_its_column(document):
    source = document["paths"]["/api/v1/sources/{source_id}"]["get"]["parameters"][0]
    assert source["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 2**31 - 1,
        "format": "int32",
    }
    conversion = document["paths"]["/api/v1/conversions/{conversion_id}"]["get"]
    assert conversion["parameters"][0]["schema"]["format"] == "int64"


def test_every_response_has_a_description(document):
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            assert resolved(document, response).get("description"), f"{method} {path} {status}"


def test_every_operation_documents_401(document):
    assert missing(document, "401", lambda *_: True) == []


def test_admin_operations_document_403_and_operator_ones_do_not(document):
    def admin_only(path: str, method: str, _: Any) -> bool:
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))
        return any(
            m.lower() == method and re.fullmatch(pattern, concrete) for m, concrete in ADMIN_ROUTES
        )

    assert missing(document, "403", admin_only) == []
    documented = {
        f"{method.upper()} {path}"
        for path, method, operation in operations(document)
        if "403" in operation["responses"]
    }
    assert len(documented) == len(ADMIN_ROUTES)


def test_operations_on_an_id_document_404(document):
    assert missing(document, "404", lambda path, *_: "{" in path) == []


def test_operations_reading_a_body_or_a_query_document_400_and_422(document):
    def reads_input(_: str, __: str, operation: dict[str, Any]) -> bool:
        query = any(p["in"] == "query" for p in operation.get("parameters", []))
        return query or "requestBody" in operation

    assert missing(document, "422", reads_input) == []
    assert missing(document, "400", reads_input) == []


def test_every_operation_documents_503(document):
    assert missing(document, "503", lambda *_: True) == []


def test_every_error_answer_is_the_shared_error_shape(document):
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                content = resolved(document, response)["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (
                    f"{method} {path} {status}"
                )


def test_operation_ids_are_unique(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_a_created_source_links_to_the_operations_on_its_id(document):
    created = document["paths"]["/api/v1/sources"]["post"]["responses"]["201"]
    links = created["links"]
    assert links["get_source"] == {
        "operationId": "get_source",
        "parameters": {"source_id": "$response.body#/id"},
    }
    assert {"update_source", "delete_source", "pause_source"} <= set(links)


def test_the_201_of_a_new_source_describes_its_token_and_urls(document):
    created = document["paths"]["/api/v1/sources"]["post"]["responses"]["201"]
    name = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = document["components"]["schemas"][name]["properties"]
    assert {"id", "inbound_token", "postback_url", "track_url", "outbound_secret"} <= set(
        properties
    )


# -- the independent tester -----------------------------------------------------------------


@dataclass
class Run:
    """What the tester reported: failed checks (one entry each, with the request that
    reproduces it), errors of the run itself, errors the hub logged, and how much ran."""

    failures: dict[tuple[str, str, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: Errors the hub logged meanwhile: a documented answer (a 422 for a value the
    #: database refused) or a background job can hide a fault the checks cannot see.
    logged: list[str] = field(default_factory=list)
    scenarios: dict[PhaseName, int] = field(default_factory=dict)
    seconds: float = 0.0

    def record(self, event: events.EngineEvent) -> None:
        if isinstance(event, events.ScenarioFinished):
            if event.status != Status.SKIP:
                self.scenarios[event.phase] = self.scenarios.get(event.phase, 0) + 1
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.status == Status.FAILURE and node.failure_info is not None:
                        self._failure(node.name, node.failure_info)
        elif isinstance(event, events.NonFatalError):
            self.errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            self.errors.append(f"fatal: {event.exception!r}")

    def _failure(self, check: str, info: Any) -> None:
        failure = info.failure
        key = (failure.operation or "", check, failure.title)
        self.failures.setdefault(
            key,
            f"{key[0]}: {check}: {failure.title}\n{failure.message.strip()}\n"
            f"  reproduce: {info.code_sample}",
        )

    def report(self, seed: int) -> str:
        shown = list(self.failures.values())[:SHOWN]
        more = len(self.failures) - len(shown)
        lines = [
            f"Schemathesis (seed {seed}) found {len(self.failures)} answer(s) that break "
            f"the OpenAPI document, {len(self.errors)} error(s) of its own run, and the "
            f"hub logged {len(self.logged)} error(s):",
            *self.errors,
            *self.logged[:SHOWN],
            *shown,
        ]
        if more:
            lines.append(f"... and {more} more.")
        return "\n\n".join(lines)


def no_address(url: str, *_: Any, **__: Any) -> list[str]:
    """Every outbound URL passes the SSRF check with no address to connect to, so every
    call fails at once, as to a host that does not answer. Generated receivers and
    trackers point anywhere, and a test, a delivery or a sync would call them: the hub
    under test makes no DNS query and reaches no other host, yet takes their URLs."""
    return []


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Calls to trackers and receivers that do not answer give up within a second."""
    return {**app_config, "PBHUB_OUTBOUND_DEADLINE": 1.0}


@pytest.fixture
def hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub under test reaches no other host (``no_address``)."""
    monkeypatch.setattr(ssrf, "check_url", no_address)


@pytest.fixture
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis's own caches go to the test's directory, not the checkout (the run has
    no example database: ``database = "none"`` in its settings)."""
    previous = configuration.storage_directory(intent_to_write=False).home_directory
    configuration.set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    configuration.set_hypothesis_home_dir(previous)


def logged(record: logging.LogRecord) -> str:
    trace = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
    return f"{record.name} logged {record.levelname}: {record.getMessage()}\n{trace}".strip()


def run_tester(app: Any, token: str) -> tuple[Run, int]:
    config = schemathesis.Config.from_path(CONFIG)
    config.projects.default.update(headers={"Authorization": f"Bearer {token}"})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    run, started = Run(), time.monotonic()
    for event in from_schema(schema).execute():
        run.record(event)
    run.seconds = time.monotonic() - started
    return run, config.seed


# Schemathesis's own strategies draw from `random` now and then, which Hypothesis warns of.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
def test_the_api_keeps_its_document_under_generated_requests(
    app, make_token, hermetic, hypothesis_home, caplog, record_property
):
    caplog.set_level(logging.WARNING)
    # An admin's token reaches every operation. The operators' 403s are documented (tested
    # above) and answered (tests/test_api_auth.py).
    run, seed = run_tester(app, make_token("admin"))
    get_queue(app).join()
    errors = (logged(record) for record in caplog.records if record.levelno >= logging.ERROR)
    run.logged = list(dict.fromkeys(errors))
    record_property("schemathesis_seconds", round(run.seconds, 1))
    if run.failures or run.errors or run.logged:
        pytest.fail(run.report(seed), pytrace=False)
    # The chains ran: the document's links led from a created resource to its operations.
    assert run.scenarios.get(PhaseName.STATEFUL_TESTING, 0) > 0, run.scenarios
    assert run.scenarios.get(PhaseName.COVERAGE, 0) > 0, run.scenarios
