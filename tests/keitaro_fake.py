"""A fake Keitaro tracker: a real HTTP server on loopback answering like the real one.

Quirks included, because the client must survive them: numbers as strings, datetimes
without an offset (in the tracker's timezone), a plain-text 404, the admin panel's HTML
page with 200 on a path outside the API, 402 when the licence lacks the API, and 422
bodies naming fields. Every request is recorded for assertions.

Like the real tracker, it refuses a body its API's rules refuse: 400 for a body that is
not a JSON object, 422 naming each field for one that breaks the rules derived from
Keitaro's document (``app/keitaro/api_rules.json``, read here with a check of its own, not
the client's). So a test whose request reaches the fake proves the client sent a body the
tracker accepts.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

API = "/admin_api/v1"
RULES_FILE = Path(__file__).resolve().parents[1] / "app" / "keitaro" / "api_rules.json"
ADMIN_PAGE = "<!DOCTYPE html><html><head><title>Keitaro</title></head><body>Login</body></html>"


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class FakeKeitaro:
    api_key: str = "fake-api-key-0123456789"
    postback_key: str = "pbkey123"
    timezone: str = "Europe/Moscow"
    licensed: bool = True
    requests: list[Seen] = field(default_factory=list)
    campaigns: dict[int, dict[str, Any]] = field(default_factory=dict)
    offers: dict[int, dict[str, Any]] = field(default_factory=dict)
    networks: dict[int, dict[str, Any]] = field(default_factory=dict)
    traffic_sources: dict[int, dict[str, Any]] = field(default_factory=dict)
    streams: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: Clicks and conversions as the tracker holds them: aware datetimes.
    clicks: list[dict[str, Any]] = field(default_factory=list)
    conversions: list[dict[str, Any]] = field(default_factory=list)
    postbacks_received: list[dict[str, str]] = field(default_factory=list)
    #: Statuses to answer, in order, before behaving normally (e.g. [503, 503]).
    failures: list[int] = field(default_factory=list)
    answer_settings: bool = True
    #: What the postback URL answers (a failing tracker: 503).
    postback_status: int = 200
    #: Answer every Admin API call with a redirect to this URL (a moved tracker).
    redirect_to: str | None = None
    #: Answer this many ``clicks/log`` pages, then fail with 500 (a tracker dying mid-run).
    clicks_pages_before_failure: int | None = None
    _server: Any = None
    _thread: Any = None
    _next_id: int = 100

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeKeitaro:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- data helpers --------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> str:
        """How Keitaro writes a time: wall clock in its timezone, no offset."""
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    def add_click(self, sub_id: str, at: datetime, **extra: Any) -> None:
        self.clicks.append({"sub_id": sub_id, "at": at, **extra})

    def add_conversion(
        self, sub_id: str, tid: str, status: str, revenue: str, at: datetime
    ) -> None:
        self.conversions.append(
            {"sub_id": sub_id, "tid": tid, "status": status, "revenue": revenue, "at": at}
        )

    def seen(self, path_part: str) -> list[Seen]:
        return [r for r in self.requests if path_part in r.path]

    # -- HTTP ----------------------------------------------------------------------------

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        return self._answer(request)(environ, start_response)

    def _answer(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            body = None
        self.requests.append(
            Seen(
                request.method,
                request.path,
                request.args.to_dict(),
                body,
                dict(request.headers),
            )
        )
        if re.fullmatch(rf"/{re.escape(self.postback_key)}/postback", request.path):
            if self.postback_status >= 400:
                return Response("busy", status=self.postback_status)
            self._record_postback(request.args.to_dict())
            return Response("Success", content_type="text/plain")
        if not request.path.startswith(API + "/"):
            return Response(ADMIN_PAGE, content_type="text/html; charset=utf-8")
        if self.failures:
            return Response("busy", status=self.failures.pop(0))
        if self.redirect_to:
            return Response("", status=302, headers={"Location": self.redirect_to + request.path})
        if request.headers.get("Api-Key") != self.api_key:
            return _json({"error": "Unauthorized"}, 401)
        if not self.licensed:
            return _json({"error": "Admin API is not available for your license"}, 402)
        path = request.path[len(API) :]
        refused = _refused(request.method, path, body)
        if refused is not None:
            return refused
        try:
            return self._route(request.method, path, request.args, body)
        except KeyError:
            return Response("Not found", status=404, content_type="text/plain")

    def _route(self, method: str, path: str, args: Any, body: Any) -> Response:
        item = re.fullmatch(r"/campaigns/(\d+)", path)
        if path == "/campaigns" and method == "GET":
            return _json(list(self.campaigns.values()))
        if path == "/campaigns" and method == "POST":
            if any(c["alias"] == body.get("alias") for c in self.campaigns.values()):
                return _json({"alias": ["The alias is already taken"]}, 422)
            created = {"id": self._new_id(), "state": "active", "postbacks": [], **body}
            self.campaigns[created["id"]] = created
            return _json(created)
        if item and method == "GET":
            return _json(self.campaigns[int(item.group(1))])
        if item and method == "PUT":
            campaign = self.campaigns[int(item.group(1))]
            changes = dict(body or {})
            if "postbacks" in changes:
                changes["postbacks"] = [
                    {**p, "id": p.get("id") or self._new_id(), "campaign_id": campaign["id"]}
                    for p in changes["postbacks"]
                ]
            campaign.update(changes)
            return _json(campaign)
        stream = re.fullmatch(r"/streams/(\d+)", path)
        if stream and method == "GET":
            return _json(self.streams[int(stream.group(1))])
        if stream and method == "PUT":
            self.streams[int(stream.group(1))].update(body or {})
            return _json(self.streams[int(stream.group(1))])
        if path == "/offers" and method == "GET":
            return _json(list(self.offers.values()))
        if path == "/affiliate_networks" and method == "GET":
            return _json(list(self.networks.values()))
        if path == "/traffic_sources" and method == "GET":
            return _json(list(self.traffic_sources.values()))
        if path == "/settings":
            if not self.answer_settings:
                raise KeyError(path)
            return _json({"timezone": self.timezone, "currency": "USD"})
        if path == "/clicks/log":
            if self.clicks_pages_before_failure is not None:
                if self.clicks_pages_before_failure == 0:
                    return Response("Internal Server Error", status=500)
                self.clicks_pages_before_failure -= 1
            return _json(self._log(body or {}, self.clicks, self._click_row))
        if path == "/conversions/log":
            return _json(self._log(body or {}, self.conversions, self._conversion_row))
        if path == "/report/build":
            return _json(
                {
                    "rows": [{"campaign": "A", "clicks": "10", "revenue": "1.50"}],
                    "total": 1,
                    "meta": [],
                }
            )
        if path.endswith("/download"):
            return Response(b"PK\x03\x04zip", content_type="application/octet-stream")
        if re.fullmatch(r"/logs/\w+", path) and method == "GET":
            return _json([])
        if method == "GET":
            return _json([])
        return _json({"success": True})

    def _record_postback(self, params: dict[str, str]) -> None:
        """Like Keitaro: a postback records a conversion; one repeating a (subid, tid)
        updates it (and moves its time)."""
        self.postbacks_received.append(params)
        key = (params.get("subid", ""), params.get("tid", ""))
        self.conversions = [c for c in self.conversions if (c["sub_id"], c["tid"]) != key]
        self.add_conversion(
            key[0],
            key[1],
            params.get("status", "lead"),
            params.get("payout") or "0",
            datetime.now(UTC),
        )

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _log(self, query: dict[str, Any], items: list[dict[str, Any]], row: Callable) -> dict:
        selected = items
        span = query.get("range") or {}
        zone = ZoneInfo(span.get("timezone") or self.timezone)
        if span.get("from"):
            start = _parse(span["from"], zone)
            selected = [i for i in selected if i["at"] >= start]
        if span.get("to"):
            end = _parse(span["to"], zone)
            selected = [i for i in selected if i["at"] <= end]
        for condition in query.get("filters") or []:
            name, value = condition["name"], condition.get("expression")
            selected = [i for i in selected if str(i.get(name)) == str(value)]
        selected = sorted(selected, key=lambda i: i["at"])
        offset, limit = int(query.get("offset") or 0), int(query.get("limit") or 1_000_000)
        page = selected[offset : offset + limit]
        return {"rows": [row(i) for i in page], "total": str(len(selected)), "meta": []}

    def _click_row(self, click: dict[str, Any]) -> dict[str, Any]:
        return {
            "sub_id": click["sub_id"],
            "datetime": self.local(click["at"]),
            "campaign_id": str(click.get("campaign_id", 1)),
            "offer_id": str(click.get("offer_id", 0)),
            "ts_id": str(click.get("ts_id", 0)),
            "affiliate_network_id": str(click.get("affiliate_network_id", 0)),
            "country_code": click.get("country", "DE"),
            "external_id": click.get("external_id", ""),
        }

    def _conversion_row(self, conversion: dict[str, Any]) -> dict[str, Any]:
        return {
            "sub_id": conversion["sub_id"],
            "tid": conversion["tid"],
            "status": conversion["status"],
            "revenue": str(Decimal(conversion["revenue"])),
            "postback_datetime": self.local(conversion["at"]),
        }


# -- the API's rules ---------------------------------------------------------------------


@cache
def _body_rules() -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
    """(method, path pattern, body rule) of every operation with a body; literal paths
    first, so ``streams/deleted`` is not taken for ``streams/{id}``."""
    operations = json.loads(RULES_FILE.read_text(encoding="utf-8"))["operations"]
    found = [
        (
            entry["method"],
            re.compile("/" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(entry["path"]))),
            entry["body"],
        )
        for entry in operations.values()
        if "body" in entry
    ]
    return sorted(found, key=lambda route: route[1].pattern.count("[^/]+"))


def _refused(method: str, path: str, body: Any) -> Response | None:
    for wanted, pattern, rule in _body_rules():
        if wanted == method and pattern.fullmatch(path):
            if body is not None and not isinstance(body, dict):
                return _json({"error": "The request body must be a JSON object"}, 400)
            wrong = _breaks(rule, {} if body is None else body, "")
            return _json(wrong, 422) if wrong else None
    return None


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (type(v) is int) or (type(v) is float and v.is_integer()),
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _breaks(rule: dict[str, Any], value: Any, at: str) -> dict[str, list[str]]:
    """Field path -> what is wrong, as the tracker would list them."""
    if value is None:
        return {}
    kinds = rule.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    if kinds and not any(_TYPES[kind](value) for kind in kinds):
        return {at: [f"This value should be of type {' or '.join(kinds)}."]}
    if "enum" in rule and value not in rule["enum"]:
        return {at: ["The value you selected is not a valid choice."]}
    if "any_of" in rule and all(_breaks(option, value, at) for option in rule["any_of"]):
        return {at: ["This value matches none of the allowed forms."]}
    wrong: dict[str, list[str]] = {}
    if isinstance(value, list) and "items" in rule:
        for index, item in enumerate(value):
            wrong.update(_breaks(rule["items"], item, f"{at}[{index}]"))
    if isinstance(value, dict):
        fields = rule.get("fields") or {}
        for name in rule.get("required") or []:
            if value.get(name) is None:
                wrong[f"{at}.{name}".lstrip(".")] = ["This value should not be blank."]
        for name, inner in value.items():
            where = f"{at}.{name}".lstrip(".")
            if name in fields:
                wrong.update(_breaks(fields[name], inner, where))
            elif rule.get("extra") is False:
                wrong[where] = ["This field was not expected."]
            elif "values" in rule:
                wrong.update(_breaks(rule["values"], inner, where))
    return wrong


def _parse(text: str, zone: ZoneInfo) -> datetime:
    parsed = datetime.fromisoformat(text)
    if len(text) == 10 and text.count("-") == 2:
        parsed = parsed.replace(hour=0)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")
