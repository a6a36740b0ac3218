"""The Keitaro Admin API as Python: ``Keitaro(url, key).campaigns.list()``.

One typed method per operation, grouped by resource as Keitaro groups them. Paths and
methods live in ``operations.py``. Before anything is sent, a body is loaded with its
schema of ``schemas.py`` (which turns "7" into 7 where a number is meant) and then checked,
with every parameter, against the rules derived from Keitaro's published document
(``rules.py``), so a body the tracker would refuse fails here, naming the field.
Long lists (clicks, conversions, reports, logs) also have ``iter_*`` methods that read
page after page and give number columns as exact numbers, however Keitaro sent them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from app.keitaro import errors, pages, rules, schemas
from app.keitaro.operations import Operation, operation
from app.keitaro.times import tracker_datetime
from app.keitaro.transport import Transport

Json = Any
Body = Mapping[str, Any]


class Keitaro:
    """A client of one tracker. ``timezone`` is the tracker's own (Maintenance > Settings):
    Keitaro writes datetimes without an offset, meaning that timezone."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timezone: str = "UTC",
        transport: Transport | None = None,
        **transport_options: Any,
    ) -> None:
        self.transport = transport or Transport(url, api_key, **transport_options)
        self.timezone = ZoneInfo(timezone)
        self.campaigns = Campaigns(self)
        self.streams = Streams(self)
        self.landings = Landings(self)
        self.offers = Offers(self)
        self.affiliate_networks = AffiliateNetworks(self)
        self.traffic_sources = TrafficSources(self)
        self.domains = Domains(self)
        self.groups = Groups(self)
        self.users = Users(self)
        self.botlist = BotList(self)
        self.clicks = Clicks(self)
        self.conversions = Conversions(self)
        self.reports = Reports(self)
        self.logs = Logs(self)
        self.integrations = Integrations(self)
        self.settings = Settings(self)

    def call(
        self,
        op: Operation,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Body | None = None,
    ) -> Json:
        """Send one operation after checking what it needs is there and well formed."""
        in_path = self._path(op, path or {})
        params = self._query(op, query or {})
        rules.check_params(op, {**(path or {}), **params})
        return self.transport.request(
            op.method,
            in_path,
            params=params or None,
            body=self.validate(op, body),
            idempotent=op.idempotent,
            raw=op.binary,
        )

    def validate(self, op: Operation, body: Body | None) -> dict[str, Any] | None:
        """The body to send, or InvalidRequest naming each field the rules refuse.

        The schema loads first, without its required flags, for what it converts (numbers
        typed as text, a lower-case sort order, the older report dialect) and the checks
        the document lacks; the derived rules then judge the result, since they say what
        the tracker accepts. A schema's refusal comes with the required fields missing
        too, so one try shows everything to fix."""
        if op.body is None:
            if body:
                raise errors.InvalidRequest(f"{op.key} takes no body")
            return None
        if body is None:
            body = {}
        if not isinstance(body, Mapping):
            raise errors.InvalidRequest(f"{op.key} takes a JSON object")
        try:
            loaded = getattr(schemas, op.body)().load(dict(body), partial=True)
        except ValidationError as exc:
            problems = list(rules.schema_problems(exc.messages))
            rule = (rules.for_operation(op) or {}).get("body")
            if rule is not None:
                named = {problem.path for problem in problems}
                problems += [
                    problem
                    for problem in rules.problems_of(rule, dict(body))
                    if problem.required and problem.path not in named
                ]
            raise rules.refusal(op, problems) from None
        rules.check_body(op, loaded)
        return loaded

    def parse_time(self, value: str | None) -> datetime | None:
        """A tracker datetime as an aware UTC datetime."""
        return tracker_datetime(value, self.timezone)

    @staticmethod
    def _path(op: Operation, values: Mapping[str, Any]) -> str:
        path = op.path
        for name in op.path_params:
            value = values.get(name)
            if value is None or value == "":
                raise errors.InvalidRequest(f"{op.key} needs {name}")
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return path

    @staticmethod
    def _query(op: Operation, values: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(values) - set(op.query)
        if unknown:
            raise errors.InvalidRequest(f"{op.key} takes no {', '.join(sorted(unknown))}")
        missing = [name for name in op.required_query if values.get(name) in (None, "")]
        if missing:
            raise errors.InvalidRequest(f"{op.key} needs {', '.join(missing)}")
        return {k: v for k, v in values.items() if v is not None}


class Resource:
    name: ClassVar[str]

    def __init__(self, client: Keitaro) -> None:
        self._client = client

    def _call(
        self,
        op_name: str,
        *,
        in_path: Mapping[str, Any] | None = None,
        body: Body | None = None,
        **query: Any,
    ) -> Json:
        return self._client.call(
            operation(self.name, op_name), path=in_path, query=query, body=body
        )

    def _by_id(self, op_name: str, id: int, body: Body | None = None, **query: Any) -> Json:
        return self._call(op_name, in_path={"id": id}, body=body, **query)


class _Item(Resource):
    def get(self, id: int) -> dict[str, Any]:
        return self._by_id("get", id)

    def create(self, data: Body) -> dict[str, Any]:
        return self._call("create", body=data)

    def update(self, id: int, data: Body) -> dict[str, Any]:
        return self._by_id("update", id, data)


class _Crud(_Item):
    def list(self) -> list[dict[str, Any]]:
        return self._call("list")


class _Delete(Resource):
    def delete(self, id: int) -> Json:
        """Archive, where Keitaro archives (campaigns, flows, landings, networks, domains)."""
        return self._by_id("delete", id)


class _Clone(Resource):
    def clone(self, id: int) -> Json:
        return self._by_id("clone", id)


class _Archive(Resource):
    def deleted(self) -> list[dict[str, Any]]:
        return self._call("deleted")

    def restore(self, id: int) -> Json:
        return self._by_id("restore", id)


class _Switch(Resource):
    def enable(self, id: int) -> Json:
        return self._by_id("enable", id)

    def disable(self, id: int) -> Json:
        return self._by_id("disable", id)


class _Files(Resource):
    def download(self, id: int) -> bytes:
        return self._by_id("download", id)

    def get_file(self, id: int, path: str) -> dict[str, Any]:
        return self._by_id("get-file", id, path=path)

    def get_structure(self, id: int) -> Json:
        return self._by_id("get-structure", id)

    def add_file(self, id: int, path: str) -> dict[str, Any]:
        return self._by_id("add-file", id, path=path)

    def remove_file(self, id: int, path: str) -> Json:
        return self._by_id("remove-file", id, path=path)

    def update_file(self, id: int, path: str, data: str) -> dict[str, Any]:
        return self._by_id("update-file", id, path=path, data=data)


class Campaigns(_Crud, _Delete, _Archive, _Clone, _Switch):
    name = "campaigns"

    def update_costs(self, id: int, data: Body) -> Json:
        return self._by_id("update-costs", id, data)


class Streams(_Item, _Delete, _Archive, _Switch):
    name = "streams"

    def list(self, campaign_id: int) -> list[dict[str, Any]]:
        return self._by_id("list", campaign_id)

    def events(self, id: int) -> list[dict[str, Any]]:
        return self._by_id("events", id)

    def search(self, query: str) -> list[dict[str, Any]]:
        return self._call("search", query=query)

    def filters(self) -> list[dict[str, Any]]:
        return self._call("filters")

    def schemas(self) -> list[dict[str, Any]]:
        return self._call("schemas")

    def types(self) -> list[dict[str, Any]]:
        return self._call("types")

    def actions(self) -> list[dict[str, Any]]:
        return self._call("actions")


class Landings(_Crud, _Delete, _Clone, _Files):
    name = "landings"


class Offers(_Crud, _Clone, _Files):
    name = "offers"

    def archive(self, id: int) -> Json:
        return self._by_id("archive", id)


class AffiliateNetworks(_Crud, _Delete, _Clone):
    name = "affiliate_networks"


class TrafficSources(_Crud, _Delete, _Clone):
    name = "traffic_sources"


class Domains(_Crud, _Delete, _Archive):
    name = "domains"

    def check(self, id: int) -> Json:
        return self._by_id("check", id)


class Groups(_Delete):
    """Groups have no ``get``: Keitaro lists them by type only."""

    name = "groups"

    def list(self, type: str = "campaigns") -> list[dict[str, Any]]:
        return self._call("list", type=type)

    def create(self, data: Body) -> dict[str, Any]:
        return self._call("create", body=data)

    def update(self, id: int, data: Body) -> dict[str, Any]:
        return self._by_id("update", id, data)


class Users(_Crud, _Delete):
    name = "users"

    def access(self, id: int, data: Body) -> Json:
        return self._by_id("access", id, data)


class BotList(Resource):
    """Keitaro's bot list: IPs and ranges, one per line, in ``value``."""

    name = "botlist"

    def list(self) -> dict[str, Any]:
        return self._call("list")

    def add(self, value: str) -> Json:
        return self._call("add", body={"value": value})

    def exclude(self, value: str) -> Json:
        return self._call("exclude", body={"value": value})

    def replace(self, value: str) -> Json:
        return self._call("replace", body={"value": value})

    def clear(self) -> Json:
        return self._call("clear")


class _Log(Resource):
    def log(self, query: Body) -> dict[str, Any]:
        """One page: ``{"rows": [...], "total": N}``."""
        return self._call("log", body=query)

    def iter_log(
        self,
        query: Body,
        *,
        page_size: int = 1000,
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        return _report(self._client, "log", self.name, query, page_size, on_total)


class Clicks(_Log):
    name = "clicks"

    def update_costs(self, data: Body) -> Json:
        return self._call("update-costs", body=data)

    def clean(self, data: Body) -> Json:
        return self._call("clean", body=data)


class Conversions(_Log):
    name = "conversions"


class Reports(Resource):
    name = "reports"

    def build(self, query: Body) -> dict[str, Any]:
        return self._call("build", body=query)

    def iter_rows(
        self,
        query: Body,
        *,
        page_size: int = 1000,
        on_total: Callable[[int], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        return _report(self._client, "build", self.name, query, page_size, on_total)

    def labels(self, campaign_id: int, label_name: str, ref_name: str) -> dict[str, Any]:
        return self._call(
            "labels", campaign_id=campaign_id, label_name=label_name, ref_name=ref_name
        )

    def update_labels(self, data: Body) -> Json:
        return self._call("update-labels", body=data)


class Logs(Resource):
    name = "logs"

    def get(
        self, type: str, *, limit: int = 100, offset: int = 0, query: str | None = None
    ) -> list[dict[str, Any]]:
        return self._call("get", in_path={"type": type}, limit=limit, offset=offset, query=query)

    def iter(
        self, type: str, *, query: str | None = None, page_size: int = 500
    ) -> Iterator[dict[str, Any]]:
        def page(offset: int, limit: int) -> list[dict[str, Any]]:
            return self.get(type, limit=limit, offset=offset, query=query) or []

        return pages.list_pages(page, page_size)

    def clear(self, type: str) -> Json:
        return self._call("clear", in_path={"type": type})

    def types(self) -> list[str]:
        return self._call("types")


class Integrations(Resource):
    name = "integrations"

    def avscan(self) -> dict[str, Any]:
        return self._call("avscan")

    def set_avscan(self, avscan_key: str) -> Json:
        return self._call("set-avscan", avscan_key=avscan_key)

    def imklo(self) -> dict[str, Any]:
        return self._call("imklo")

    def set_imklo(self, imklo_api_url: str) -> Json:
        return self._call("set-imklo", imklo_api_url=imklo_api_url)

    def facebook_list(self) -> list[dict[str, Any]]:
        return self._call("facebook-list")

    def facebook_create(self, data: Body) -> dict[str, Any]:
        return self._call("facebook-create", body=data)

    def facebook_get(self, id: int) -> dict[str, Any]:
        return self._by_id("facebook-get", id)

    def facebook_update(self, id: int, data: Body) -> dict[str, Any]:
        return self._by_id("facebook-update", id, data)

    def facebook_delete(self, id: int) -> Json:
        return self._by_id("facebook-delete", id)

    def facebook_campaigns(self, id: int) -> list[dict[str, Any]]:
        return self._by_id("facebook-campaigns", id)

    def facebook_add_campaign(self, id: int, campaign_id: int) -> Json:
        return self._by_id("facebook-add-campaign", id, {"campaign_id": campaign_id})

    def facebook_remove_campaign(self, id: int, campaign_id: int) -> Json:
        return self._by_id("facebook-remove-campaign", id, {"campaign_id": campaign_id})


class Settings(Resource):
    name = "settings"

    def get(self) -> dict[str, Any]:
        """Newer trackers answer; older ones say 404, turned into a clear NotFound."""
        try:
            return self._call("get")
        except errors.NotFound as exc:
            raise errors.NotFound(
                "this Keitaro version does not answer GET /settings (older than the API's "
                "settings endpoint)",
                exc.status,
                exc.body,
            ) from None


def _report(
    client: Keitaro,
    op_name: str,
    resource: str,
    query: Body,
    page_size: int,
    on_total: Callable[[int], None] | None,
) -> Iterator[dict[str, Any]]:
    op = operation(resource, op_name)
    body = client.validate(op, query) or {}
    rows = pages.report_rows(
        client.transport, op.path, body, page_size=page_size, on_total=on_total
    )
    for row in rows:
        yield pages.typed(row)
