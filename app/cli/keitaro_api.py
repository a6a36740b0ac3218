"""``pbhub keitaro RESOURCE OPERATION``: every Admin API operation from the shell.

Resources are the names users know from the popular no-code Keitaro node, each mapped to
the real API. Every command prints ``{request, resource, operation, success, data,
error}`` (plus ``count`` for lists) as JSON, or a table with ``--table``, and exits
non-zero on failure. A resource asked for an operation Keitaro does not have says so.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from marshmallow import Schema, ValidationError, fields
from marshmallow.validate import OneOf
from tabulate import tabulate

from app.api.schemas import OutboundInSchema, OutboundOutSchema
from app.core import field_errors, json_limits
from app.keitaro import errors, postbacks, schemas
from app.keitaro.client import Keitaro
from app.keitaro.operations import operation
from app.keitaro.ranges import PRESETS, build_range
from app.runtime import keyring
from app.services import keitaro_hub_postbacks as hub
from app.services.errors import Invalid

Args = dict[str, Any]
Run = Callable[[Keitaro, Args], Any]

#: Operation names a user may try on any resource; a missing one gets a clear line.
STANDARD = (
    "list",
    "get",
    "create",
    "update",
    "delete",
    "restore",
    "clone",
    "enable",
    "disable",
    "deleted",
)


@dataclass(frozen=True)
class Command:
    resource: str
    name: str
    help: str
    run: Run
    options: tuple[str, ...] = ()
    is_list: bool = False
    #: Runs without the Admin API (the test postback); gets the connection instead.
    needs_connection: bool = False
    #: The schema (in ``app.keitaro.schemas``) of the body --data carries: the example
    #: sends its required fields.
    body: str | None = None
    #: What the example types beyond the required options and the body.
    example: tuple[str, ...] = ()


#: Keitaro's ids count from 1: a smaller one is refused here, naming the option.
ID_TYPE = click.IntRange(min=1)


def _opt_id(required: bool = True) -> click.Option:
    return click.Option(
        ["--id", "object_id"], type=ID_TYPE, required=required, help="The object's id in Keitaro."
    )


OPTIONS: dict[str, Callable[[], click.Option]] = {
    "id": _opt_id,
    "data": lambda: click.Option(
        ["--data"], help="JSON body, @file.json, or - for stdin (stdin is read when piped)."
    ),
    "campaign-id": lambda: click.Option(
        ["--campaign-id"], type=ID_TYPE, required=True, help="The campaign's id in Keitaro."
    ),
    "group-type": lambda: click.Option(
        ["--type", "group_type"],
        type=click.Choice(["campaigns", "offers", "landings"]),
        default="campaigns",
        show_default=True,
        help="Which groups.",
    ),
    "log-type": lambda: click.Option(
        ["--type", "log_type"],
        type=click.Choice(["system", "traffic", "postbacks", "ssl", "sent_postbacks"]),
        required=True,
        help="Which log.",
    ),
    "path": lambda: click.Option(
        ["--path", "file_path"],
        required=True,
        help="The file's path inside the landing page or offer, e.g. index.html.",
    ),
    "content": lambda: click.Option(["--content"], required=True, help="The file's new content."),
    "query": lambda: click.Option(["--query"], help="Text to look for, e.g. spring."),
    "value": lambda: click.Option(
        ["--value"], help="Bot list rows (IPs, ranges), one per line; stdin when piped."
    ),
    "limit": lambda: click.Option(
        ["--limit"],
        type=click.IntRange(min=1),
        default=100,
        show_default=True,
        help="Rows to read (unless --all).",
    ),
    "offset": lambda: click.Option(
        ["--offset"],
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Rows to skip first.",
    ),
    "all": lambda: click.Option(["--all", "read_all"], is_flag=True, help="Read every page."),
    "range": lambda: click.Option(
        ["--range", "range_name"],
        type=click.Choice(PRESETS),
        default="today",
        show_default=True,
        help="The period; custom takes --from and --to.",
    ),
    "from": lambda: click.Option(["--from", "start"], help="2026-11-01 or 2026-11-01 12:00."),
    "to": lambda: click.Option(["--to", "end"], help="2026-11-07 or 2026-11-07 23:59."),
    "timezone": lambda: click.Option(
        ["--timezone"], help="Timezone of the range (default: the connection's)."
    ),
    "grouping": lambda: click.Option(
        ["--grouping"], default="campaign", show_default=True, help="Comma-separated dimensions."
    ),
    "metrics": lambda: click.Option(
        ["--metrics"],
        default="clicks,conversions,revenue,cost,profit",
        show_default=True,
        help="Comma-separated measures.",
    ),
    "status": lambda: click.Option(["--status"], help="lead, sale, rejected, rebill."),
    "subid": lambda: click.Option(["--subid"], help="Keitaro sub id."),
    "tid": lambda: click.Option(["--tid"], help="Transaction id."),
    "country": lambda: click.Option(["--country"], help="Country code, e.g. DE."),
    "sort": lambda: click.Option(
        ["--sort"], default="postback_datetime:desc", show_default=True, help="COLUMN[:asc|desc]."
    ),
    "payout": lambda: click.Option(["--payout"], help="Payout of the test conversion."),
    "campaign-id-optional": lambda: click.Option(["--campaign-id"], type=ID_TYPE),
    "label-name": lambda: click.Option(
        ["--label-name"], required=True, help="The label to read, e.g. whitelist."
    ),
    "ref-name": lambda: click.Option(
        ["--ref-name"], required=True, help="The parameter the labels mark, e.g. sub_id_1."
    ),
    "avscan-key": lambda: click.Option(
        ["--key", "avscan_key"], required=True, help="The AVScan API key."
    ),
    "imklo-url": lambda: click.Option(
        ["--url", "imklo_url"],
        required=True,
        help="The IMKLO API URL, e.g. https://imklo.example.com/api.",
    ),
    "target-campaign": lambda: click.Option(
        ["--target-campaign", "target_campaign"],
        type=ID_TYPE,
        required=True,
        help="The Keitaro campaign to link or unlink.",
    ),
}


# -- inputs ----------------------------------------------------------------------------


def read_data(args: Args, required: bool = True) -> Any:
    """``--data`` as JSON text, ``@file``, ``-``, or piped stdin."""
    raw = args.get("data")
    if raw is None or raw == "-":
        raw = _stdin(even_a_terminal=raw == "-")
    elif raw.startswith("@"):
        try:
            raw = Path(raw[1:]).read_text()
        except OSError as exc:
            raise errors.InvalidRequest(f"cannot read {raw[1:]}: {exc.strerror}") from None
    if not raw.strip():
        if required:
            raise errors.InvalidRequest("this operation needs --data JSON, @file.json or stdin")
        return None
    try:
        return json_limits.loads(raw)
    except json.JSONDecodeError as exc:
        raise errors.InvalidRequest(
            f"--data is not JSON: check line {exc.lineno}, column {exc.colno}"
        ) from None
    except ValueError:
        raise errors.InvalidRequest("--data is not JSON") from None
    except json_limits.NestingTooDeep as exc:
        raise errors.InvalidRequest(f"--data: {exc}") from None


def _value(args: Args) -> str:
    if args.get("value"):
        return args["value"]
    data = read_data(args, required=False) if args.get("data") else None
    if isinstance(data, dict) and data.get("value"):
        return str(data["value"])
    text = _stdin()
    if not text.strip():
        raise errors.InvalidRequest("give the rows with --value, --data or stdin")
    return text


def _stdin(even_a_terminal: bool = False) -> str:
    """What is piped in; a terminal is read only when asked (``--data -``).

    ``sys.stdin`` rather than ``click.get_text_stream``, which Click 8.5 deprecates; the
    test runner swaps ``sys.stdin`` just the same."""
    stdin = sys.stdin
    if stdin is None or (stdin.isatty() and not even_a_terminal):
        return ""
    return stdin.read()


def _csv(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _range(client: Keitaro, args: Args) -> dict[str, str]:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(args["timezone"]) if args.get("timezone") else client.timezone
    except (ZoneInfoNotFoundError, ValueError):
        raise errors.InvalidRequest(
            f"unknown timezone {args['timezone']!r} (use a name like Europe/Moscow)"
        ) from None
    try:
        return build_range(
            args["range_name"],
            zone,
            datetime.now(UTC),
            start=args.get("start"),
            end=args.get("end"),
        )
    except ValueError as exc:
        raise errors.InvalidRequest(str(exc)) from None


def _log_query(client: Keitaro, args: Args, filters: list[dict[str, Any]]) -> dict[str, Any]:
    body = read_data(args, required=False) if args.get("data") else None
    if body is not None:
        return body
    column, _, order = (args.get("sort") or "datetime:desc").partition(":")
    return {
        "range": _range(client, args),
        "limit": args["limit"],
        "offset": args.get("offset") or 0,
        "filters": filters,
        "sort": [{"name": column, "order": (order or "desc").upper()}],
    }


def _conversion_filters(args: Args) -> list[dict[str, Any]]:
    wanted = (
        ("status", "status"),
        ("subid", "sub_id"),
        ("tid", "tid"),
        ("country", "country_code"),
    )
    return [
        {"name": column, "operator": "EQUALS", "expression": args[option]}
        for option, column in wanted
        if args.get(option)
    ]


def _report(client: Keitaro, args: Args) -> Any:
    body = read_data(args, required=False) if args.get("data") else None
    if body is None:
        body = {
            "range": _range(client, args),
            "grouping": _csv(args["grouping"]),
            "metrics": _csv(args["metrics"]),
        }
    if args.get("read_all"):
        return list(client.reports.iter_rows(body))
    return client.reports.build(body)


def _rows(client: Keitaro, args: Args, resource: Any, filters: list[dict[str, Any]]) -> Any:
    query = _log_query(client, args, filters)
    if args.get("read_all"):
        query.pop("limit", None)
        query.pop("offset", None)
        return list(resource.iter_log(query))
    return resource.log(query).get("rows", [])


# -- the table -------------------------------------------------------------------------

ID = ("id",)
DATA = ("data",)
ID_DATA = ("id", "data")


def _with_article(noun: str) -> str:
    """The noun with its article: an offer, a user (each u here sounds like "you")."""
    return f"{'an' if noun[0] in 'aeio' else 'a'} {noun}"


def _crud(resource: str, api: str, noun: str) -> list[Command]:
    """List, get, create and update; ``api`` is the client's attribute, named like the
    operations table's resource, which knows the bodies."""
    return [
        Command(
            resource, "list", f"List every {noun}.", lambda k, a: getattr(k, api).list(), (), True
        ),
        Command(
            resource,
            "get",
            f"Show one {noun}.",
            lambda k, a: getattr(k, api).get(a["object_id"]),
            ID,
        ),
        Command(
            resource,
            "create",
            f"Create {_with_article(noun)}.",
            lambda k, a: getattr(k, api).create(read_data(a)),
            DATA,
            body=operation(api, "create").body,
        ),
        Command(
            resource,
            "update",
            f"Change {_with_article(noun)}: --data holds the fields to change.",
            lambda k, a: getattr(k, api).update(a["object_id"], read_data(a)),
            ID_DATA,
            body=operation(api, "update").body,
        ),
    ]


def _by_id(resource: str, name: str, help: str, call: Callable[[Keitaro, int], Any]) -> Command:
    return Command(resource, name, help, lambda k, a: call(k, a["object_id"]), ID)


def _files(resource: str, api: str, noun: str) -> list[Command]:
    def files(k: Keitaro) -> Any:
        return getattr(k, api)

    return [
        Command(
            resource,
            "download",
            f"Download {_with_article(noun)}'s files as a zip (--output FILE).",
            lambda k, a: _save_zip(files(k).download(a["object_id"]), a),
            ("id", "output"),
            example=("--output", f"{resource}-12.zip"),
        ),
        Command(
            resource,
            "get-file",
            f"Show one file of a local {noun}.",
            lambda k, a: files(k).get_file(a["object_id"], a["file_path"]),
            ("id", "path"),
        ),
        _by_id(
            resource,
            "get-structure",
            f"List a local {noun}'s files.",
            lambda k, i: files(k).get_structure(i),
        ),
        Command(
            resource,
            "add-file",
            f"Create an empty file in a local {noun}.",
            lambda k, a: files(k).add_file(a["object_id"], a["file_path"]),
            ("id", "path"),
        ),
        Command(
            resource,
            "remove-file",
            f"Delete a file of a local {noun}.",
            lambda k, a: files(k).remove_file(a["object_id"], a["file_path"]),
            ("id", "path"),
        ),
        Command(
            resource,
            "update-file",
            f"Save new content in a file of a local {noun}.",
            lambda k, a: files(k).update_file(a["object_id"], a["file_path"], a["content"]),
            ("id", "path", "content"),
        ),
    ]


def _save_zip(content: bytes, args: Args) -> dict[str, Any]:
    target = Path(args.get("output") or f"keitaro-{args['object_id']}.zip")
    target.write_bytes(content)
    return {"file": str(target), "bytes": len(content)}


OPTIONS["output"] = lambda: click.Option(
    ["--output"], help="Where to write the zip (default: keitaro-ID.zip here)."
)
OPTIONS["as-hub-outbound"] = lambda: click.Option(
    ["--as-hub-outbound"],
    is_flag=True,
    help="Make the fields the hub's own outbound postback (update: --id is its id); "
    "nothing goes to Keitaro.",
)


def _postback_create(k: Keitaro, a: Args) -> Any:
    data = read_data(a)
    if a.get("as_hub_outbound"):
        return _as_hub_outbound(a, data)
    return postbacks.create_postback(k, a["campaign_id"], data)


def _postback_update(k: Keitaro, a: Args) -> Any:
    data = read_data(a)
    if a.get("as_hub_outbound"):
        return _as_hub_outbound(a, data, postback_id=a["object_id"])
    return postbacks.update_postback(k, a["campaign_id"], a["object_id"], data)


def _as_hub_outbound(a: Args, data: Any, postback_id: int | None = None) -> dict[str, Any]:
    """A Keitaro postback, with the fields Keitaro would drop, made the hub's own
    outbound postback, which keeps them all. Nothing is sent to Keitaro: its campaign
    postback and the hub's would both call the receiver for each conversion."""
    operation_name = "create" if postback_id is None else "update"
    try:
        row = hub.hub_postback_to_change(postback_id) if postback_id else None
        mapped = hub.hub_postback(data, campaign_id=a["campaign_id"], row=row)
    except Invalid as exc:
        by_field = field_errors.sentences(exc.fields, data)
        raise errors.InvalidRequest(exc.message, by_field) from None
    schema = OutboundInSchema(partial=row is not None)
    try:
        checked = schema.normalise(schema.load(mapped.fields))
    except ValidationError as exc:
        by_field = field_errors.sentences(exc.messages, exc.data, mapped.label)
        raise errors.InvalidRequest(
            f"postback {operation_name}: {field_errors.summary(by_field)}",
            {mapped.label(name): lines for name, lines in by_field.items()},
        ) from None
    if row is None:
        saved = hub.create_hub_postback(checked, mapped.url_secret, keyring())
    else:
        saved = hub.update_hub_postback(row, checked, mapped.url_secret, keyring())
    answer: dict[str, Any] = {
        "id": saved.id,
        "name": saved.name,
        "action": "created" if row is None else "updated",
        "sent_to_keitaro": False,
        "mapped": mapped.mapped,
    }
    if mapped.macros:
        answer["macros"] = mapped.macros
    answer["note"] = (
        f"The hub's outbound postback {saved.id} calls the receiver for every conversion the "
        f"hub accepts that its filters let through; it is not tied to Keitaro campaign "
        f"{a['campaign_id']}. See it with pbhub outbound get {saved.id}."
    )
    answer["outbound_postback"] = OutboundOutSchema().dump(saved)
    return answer


#: What a tracker without ``GET /settings`` is told.
NO_SETTINGS = "this tracker has no settings endpoint"


def _settings(k: Keitaro, a: Args) -> Any:
    """``GET /settings`` is not in Keitaro's published API: a tracker without it answers
    with its admin panel's page, or not found. That is said plainly, once a documented
    call showed the URL and the key are right (else that call's error says what is
    wrong with them)."""
    try:
        answer = k.settings.get()
    except errors.KeitaroError as exc:
        if not _not_answered(exc):
            raise
        asked = k.transport.last_request
        k.groups.list("campaigns")
        raise _no_settings(exc, asked) from None
    if not isinstance(answer, dict):
        failure = errors.NotFound(
            f"{NO_SETTINGS}: it answers GET /settings with something other than settings"
        )
        failure.request = k.transport.last_request
        raise failure
    return answer


def _not_answered(exc: errors.KeitaroError) -> bool:
    if isinstance(exc, errors.NotFound | errors.NotAnAdminApi):
        return True
    return type(exc) is errors.KeitaroError and 200 <= (exc.status or 0) < 300


def _no_settings(exc: errors.KeitaroError, asked: Any) -> errors.KeitaroError:
    if isinstance(exc, errors.NotAnAdminApi):
        how = "with its admin panel's web page"
    elif isinstance(exc, errors.NotFound):
        how = "not found"
    else:
        how = "with something that is not JSON"
    failure = errors.NotFound(
        f"{NO_SETTINGS}: GET /settings is not in Keitaro's published Admin API, and this "
        f"tracker answers it {how}; the tracker's timezone and currency are under "
        "Maintenance > Settings in its admin panel",
        exc.status,
        exc.body,
    )
    failure.request = asked
    return failure


def _test_postback(k: Keitaro, a: Args) -> Any:
    connection = a["_connection"]
    if not connection.postback_key:
        raise errors.InvalidRequest(
            "this connection has no postback key: add it with "
            "`pbhub keitaro connections update NAME --postback-key KEY`"
        )
    params = {
        "subid": a.get("subid"),
        "status": a.get("status"),
        "payout": a.get("payout"),
        "tid": a.get("tid"),
    }
    result = postbacks.fire_test_postback(
        connection.url,
        connection.postback_key,
        params,
        verify_tls=connection.verify_tls,
        guard=connection.guard,
        session=connection.session,
        deadline=connection.deadline,
    )
    if not result["ok"]:
        failure = errors.KeitaroError(result["problem"], result["status_code"], result["body"])
        failure.request = result["request"]
        raise failure
    return result


def _botlist(resource: str) -> list[Command]:
    rows = ("--value", "203.0.113.7")
    return [
        Command(
            resource, "list", "List the bot list's rows.", lambda k, a: k.botlist.list(), (), True
        ),
        Command(
            resource,
            "add",
            "Add rows (IPs, ranges) to the bot list.",
            lambda k, a: k.botlist.add(_value(a)),
            ("value", "data"),
            example=rows,
        ),
        Command(
            resource,
            "exclude",
            "Remove rows from the bot list.",
            lambda k, a: k.botlist.exclude(_value(a)),
            ("value", "data"),
            example=rows,
        ),
        Command(
            resource,
            "replace",
            "Replace every row of the bot list.",
            lambda k, a: k.botlist.replace(_value(a)),
            ("value", "data"),
            example=rows,
        ),
        Command(resource, "clear", "Empty the bot list.", lambda k, a: k.botlist.clear()),
    ]


#: What the postback create and update help says of the fields Keitaro does not keep.
HUB_FIELDS_HELP = (
    "Keitaro keeps a postback's url, method and statuses only. The no-code node's other "
    "fields (name, status, trigger, the lead, sale, rejected, registration and deposit "
    "statuses, key, currency, timeout, retries, retry_delay, campaigns, countries, headers, "
    "params) are refused, never sent. With --as-hub-outbound the body becomes the hub's own "
    "outbound postback instead, which keeps them (see docs/keitaro.md), and nothing is sent "
    "to Keitaro:"
)
#: A line of each with the hub's fields, kept as typed (``\b``).
HUB_FIELDS_LINES = {
    "create": "pbhub keitaro postback create --campaign-id 12 --as-hub-outbound --data "
    + shlex.quote(
        json.dumps(
            {"url": "https://network.example.com/pb?cid={subid}", "name": "EU", "timeout": 5}
        )
    ),
    "update": "pbhub keitaro postback update --campaign-id 12 --id 7 --as-hub-outbound "
    "--data '{\"retries\": 3}'",
}


def _hub_fields_help(summary: str, name: str) -> str:
    return f"{summary}\n\n{HUB_FIELDS_HELP}\n\n\b\n  {HUB_FIELDS_LINES[name]}"


COMMANDS: tuple[Command, ...] = (
    # campaign
    *_crud("campaign", "campaigns", "campaign"),
    _by_id("campaign", "delete", "Archive a campaign.", lambda k, i: k.campaigns.delete(i)),
    Command(
        "campaign",
        "deleted",
        "List the archived campaigns.",
        lambda k, a: k.campaigns.deleted(),
        (),
        True,
    ),
    _by_id("campaign", "clone", "Copy a campaign.", lambda k, i: k.campaigns.clone(i)),
    _by_id("campaign", "enable", "Start a campaign.", lambda k, i: k.campaigns.enable(i)),
    _by_id("campaign", "disable", "Stop a campaign.", lambda k, i: k.campaigns.disable(i)),
    _by_id(
        "campaign", "restore", "Restore an archived campaign.", lambda k, i: k.campaigns.restore(i)
    ),
    Command(
        "campaign",
        "update-costs",
        "Set a campaign's costs for a period.",
        lambda k, a: k.campaigns.update_costs(a["object_id"], read_data(a)),
        ID_DATA,
        body="CampaignCosts",
    ),
    Command(
        "campaign",
        "streams",
        "List a campaign's flows.",
        lambda k, a: k.streams.list(a["object_id"]),
        ID,
        True,
    ),
    # stream
    Command(
        "stream",
        "list",
        "List a campaign's flows (--campaign-id).",
        lambda k, a: k.streams.list(a["campaign_id"]),
        ("campaign-id",),
        True,
    ),
    _by_id("stream", "get", "Show one flow.", lambda k, i: k.streams.get(i)),
    Command(
        "stream",
        "create",
        "Create a flow in a campaign.",
        lambda k, a: k.streams.create(read_data(a)),
        DATA,
        body="StreamCreate",
    ),
    Command(
        "stream",
        "update",
        "Change a flow: --data holds the fields to change.",
        lambda k, a: k.streams.update(a["object_id"], read_data(a)),
        ID_DATA,
        body="StreamUpdate",
    ),
    _by_id("stream", "delete", "Archive a flow.", lambda k, i: k.streams.delete(i)),
    Command(
        "stream", "deleted", "List the archived flows.", lambda k, a: k.streams.deleted(), (), True
    ),
    _by_id("stream", "enable", "Start a flow.", lambda k, i: k.streams.enable(i)),
    _by_id("stream", "disable", "Stop a flow.", lambda k, i: k.streams.disable(i)),
    _by_id("stream", "restore", "Restore an archived flow.", lambda k, i: k.streams.restore(i)),
    _by_id("stream", "events", "Show a flow's change history.", lambda k, i: k.streams.events(i)),
    Command(
        "stream",
        "search",
        "List the flows whose name or settings match a text.",
        lambda k, a: k.streams.search(a["query"] or ""),
        ("query",),
        True,
        example=("--query", "spring"),
    ),
    Command("stream", "types", "List the flow types.", lambda k, a: k.streams.types(), (), True),
    Command(
        "stream", "schemas", "List the flow schemas.", lambda k, a: k.streams.schemas(), (), True
    ),
    Command(
        "stream", "actions", "List the flow actions.", lambda k, a: k.streams.actions(), (), True
    ),
    # filter
    Command(
        "filter",
        "list",
        "List the flow filter catalogue.",
        lambda k, a: k.streams.filters(),
        (),
        True,
    ),
    Command(
        "filter",
        "get",
        "Show a flow's filters (--id is the flow).",
        lambda k, a: k.streams.get(a["object_id"]).get("filters", []),
        ID,
        True,
    ),
    Command(
        "filter",
        "update",
        "Replace a flow's filters (--data is the list).",
        lambda k, a: k.streams.update(a["object_id"], {"filters": read_data(a)}).get("filters", []),
        ID_DATA,
        True,
        example=("--data", json.dumps([{"name": "country", "mode": "accept", "payload": ["DE"]}])),
    ),
    # landing
    *_crud("landing", "landings", "landing page"),
    _by_id("landing", "delete", "Archive a landing page.", lambda k, i: k.landings.delete(i)),
    _by_id("landing", "clone", "Copy a landing page.", lambda k, i: k.landings.clone(i)),
    *_files("landing", "landings", "landing page"),
    # offer
    *_crud("offer", "offers", "offer"),
    _by_id("offer", "delete", "Archive an offer.", lambda k, i: k.offers.archive(i)),
    _by_id("offer", "archive", "Archive an offer.", lambda k, i: k.offers.archive(i)),
    _by_id("offer", "clone", "Copy an offer.", lambda k, i: k.offers.clone(i)),
    *_files("offer", "offers", "offer"),
    # affiliate network
    *_crud("network", "affiliate_networks", "affiliate network"),
    _by_id(
        "network",
        "delete",
        "Archive an affiliate network.",
        lambda k, i: k.affiliate_networks.delete(i),
    ),
    _by_id(
        "network", "clone", "Copy an affiliate network.", lambda k, i: k.affiliate_networks.clone(i)
    ),
    # traffic source
    *_crud("source", "traffic_sources", "traffic source"),
    _by_id(
        "source", "delete", "Delete a traffic source.", lambda k, i: k.traffic_sources.delete(i)
    ),
    _by_id("source", "clone", "Copy a traffic source.", lambda k, i: k.traffic_sources.clone(i)),
    # domain
    *_crud("domain", "domains", "domain"),
    _by_id("domain", "delete", "Archive a domain.", lambda k, i: k.domains.delete(i)),
    Command(
        "domain",
        "deleted",
        "List the archived domains.",
        lambda k, a: k.domains.deleted(),
        (),
        True,
    ),
    _by_id("domain", "restore", "Restore an archived domain.", lambda k, i: k.domains.restore(i)),
    _by_id(
        "domain",
        "check",
        "Re-check a domain's DNS and certificate.",
        lambda k, i: k.domains.check(i),
    ),
    # group
    Command(
        "group",
        "list",
        "List the groups of one type.",
        lambda k, a: k.groups.list(a["group_type"]),
        ("group-type",),
        True,
        example=("--type", "offers"),
    ),
    Command(
        "group",
        "create",
        "Create a group of campaigns, offers or landing pages.",
        lambda k, a: k.groups.create(read_data(a)),
        DATA,
        body="GroupCreate",
    ),
    Command(
        "group",
        "update",
        "Rename a group.",
        lambda k, a: k.groups.update(a["object_id"], read_data(a)),
        ID_DATA,
        body="GroupUpdate",
    ),
    _by_id("group", "delete", "Delete a group.", lambda k, i: k.groups.delete(i)),
    # user
    *_crud("user", "users", "user"),
    _by_id("user", "delete", "Delete a user.", lambda k, i: k.users.delete(i)),
    Command(
        "user",
        "access",
        "Set what a tracker user may see and change.",
        lambda k, a: k.users.access(a["object_id"], read_data(a)),
        ID_DATA,
        body="UserAccess",
    ),
    # bot list, under both names users know
    *_botlist("blacklist"),
    *_botlist("bot"),
    # postback: a campaign's S2S postbacks
    Command(
        "postback",
        "list",
        "List a campaign's S2S postbacks.",
        lambda k, a: postbacks.list_postbacks(k, a["campaign_id"]),
        ("campaign-id",),
        True,
    ),
    Command(
        "postback",
        "get",
        "Show one S2S postback of a campaign.",
        lambda k, a: postbacks.get_postback(k, a["campaign_id"], a["object_id"]),
        ("campaign-id", "id"),
    ),
    Command(
        "postback",
        "create",
        _hub_fields_help("Add an S2S postback to a campaign.", "create"),
        _postback_create,
        ("campaign-id", "data", "as-hub-outbound"),
        body="S2SPostback",
    ),
    Command(
        "postback",
        "update",
        _hub_fields_help("Change an S2S postback of a campaign.", "update"),
        _postback_update,
        ("campaign-id", "id", "data", "as-hub-outbound"),
        example=("--data", json.dumps({"statuses": ["lead", "sale"]})),
    ),
    Command(
        "postback",
        "delete",
        "Remove an S2S postback (the campaign's remaining ones).",
        lambda k, a: postbacks.delete_postback(k, a["campaign_id"], a["object_id"]),
        ("campaign-id", "id"),
        True,
    ),
    Command(
        "postback",
        "test",
        "Fire a test postback at the tracker's postback URL.",
        _test_postback,
        ("subid", "status", "payout", "tid"),
        needs_connection=True,
        example=("--subid", "5f2a9c", "--status", "sale", "--payout", "10"),
    ),
    # click
    Command(
        "click",
        "get-all",
        "Read the clicks log (a range, --limit, or --all pages).",
        lambda k, a: _rows(k, a, k.clicks, []),
        ("range", "from", "to", "timezone", "limit", "offset", "all", "data"),
        True,
        example=("--range", "yesterday", "--limit", "50"),
    ),
    Command(
        "click",
        "update-costs",
        "Set costs of campaigns' clicks in bulk.",
        lambda k, a: k.clicks.update_costs(read_data(a)),
        DATA,
        body="ClickCosts",
    ),
    Command(
        "click",
        "clean",
        "Delete the statistics of a period.",
        lambda k, a: k.clicks.clean(read_data(a)),
        DATA,
        body="CleanStats",
    ),
    # conversion
    Command(
        "conversion",
        "get-all",
        "Read the conversions log, with filters.",
        lambda k, a: _rows(k, a, k.conversions, _conversion_filters(a)),
        (
            "range",
            "from",
            "to",
            "timezone",
            "status",
            "subid",
            "tid",
            "country",
            "limit",
            "offset",
            "sort",
            "all",
            "data",
        ),
        True,
        example=(
            "--range",
            "custom",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-07",
            "--status",
            "sale",
        ),
    ),
    # statistics
    Command(
        "statistics",
        "build",
        "Build a report for a range.",
        _report,
        ("range", "from", "to", "timezone", "grouping", "metrics", "all", "data"),
        example=("--range", "7d", "--grouping", "campaign,offer", "--metrics", "clicks,revenue"),
    ),
    Command(
        "statistics",
        "labels",
        "Show a campaign's labels.",
        lambda k, a: k.reports.labels(a["campaign_id"], a["label_name"], a["ref_name"]),
        ("campaign-id", "label-name", "ref-name"),
    ),
    Command(
        "statistics",
        "update-labels",
        "Set a campaign's labels.",
        lambda k, a: k.reports.update_labels(read_data(a)),
        DATA,
        body="LabelsUpdate",
    ),
    # log
    Command("log", "types", "List the log types.", lambda k, a: k.logs.types(), (), True),
    Command(
        "log",
        "get",
        "Show the entries of one log.",
        lambda k, a: (
            list(k.logs.iter(a["log_type"], query=a.get("query")))
            if a.get("read_all")
            else k.logs.get(
                a["log_type"], limit=a["limit"], offset=a["offset"], query=a.get("query")
            )
        ),
        ("log-type", "limit", "offset", "query", "all"),
        True,
        example=("--limit", "20"),
    ),
    Command(
        "log", "clear", "Empty one log.", lambda k, a: k.logs.clear(a["log_type"]), ("log-type",)
    ),
    # settings
    Command(
        "settings",
        "get",
        "Show the tracker's settings.\n\nGET /settings is outside Keitaro's published "
        "API: a tracker without it is said to have no settings endpoint.",
        _settings,
    ),
    # third-party integrations
    Command("integration", "avscan", "Show the AVScan key.", lambda k, a: k.integrations.avscan()),
    Command(
        "integration",
        "set-avscan",
        "Set the AVScan key.",
        lambda k, a: k.integrations.set_avscan(a["avscan_key"]),
        ("avscan-key",),
    ),
    Command("integration", "imklo", "Show the IMKLO API URL.", lambda k, a: k.integrations.imklo()),
    Command(
        "integration",
        "set-imklo",
        "Set the IMKLO API URL.",
        lambda k, a: k.integrations.set_imklo(a["imklo_url"]),
        ("imklo-url",),
    ),
    Command(
        "integration",
        "facebook-list",
        "List the Facebook integrations.",
        lambda k, a: k.integrations.facebook_list(),
        (),
        True,
    ),
    Command(
        "integration",
        "facebook-create",
        "Add a Facebook integration.",
        lambda k, a: k.integrations.facebook_create(read_data(a)),
        DATA,
        body="FacebookIntegration",
    ),
    _by_id(
        "integration",
        "facebook-get",
        "Show one Facebook integration.",
        lambda k, i: k.integrations.facebook_get(i),
    ),
    Command(
        "integration",
        "facebook-update",
        "Change a Facebook integration.",
        lambda k, a: k.integrations.facebook_update(a["object_id"], read_data(a)),
        ID_DATA,
        body="FacebookIntegration",
    ),
    _by_id(
        "integration",
        "facebook-delete",
        "Remove a Facebook integration.",
        lambda k, i: k.integrations.facebook_delete(i),
    ),
    Command(
        "integration",
        "facebook-campaigns",
        "List the campaigns linked to a Facebook integration.",
        lambda k, a: k.integrations.facebook_campaigns(a["object_id"]),
        ID,
        True,
    ),
    Command(
        "integration",
        "facebook-add-campaign",
        "Link a campaign to a Facebook integration.",
        lambda k, a: k.integrations.facebook_add_campaign(a["object_id"], a["target_campaign"]),
        ("id", "target-campaign"),
    ),
    Command(
        "integration",
        "facebook-remove-campaign",
        "Unlink a campaign from a Facebook integration.",
        lambda k, a: k.integrations.facebook_remove_campaign(a["object_id"], a["target_campaign"]),
        ("id", "target-campaign"),
    ),
)

RESOURCES: dict[str, str] = {
    "campaign": "Campaigns, their flows and their costs.",
    "stream": "Flows (streams) and their catalogues.",
    "filter": "The flow filter catalogue and a flow's filters.",
    "landing": "Landing pages and their files.",
    "offer": "Offers and their files.",
    "network": "Affiliate networks.",
    "source": "Traffic sources.",
    "domain": "Domains and their DNS and certificate checks.",
    "group": "Groups of campaigns, offers or landing pages.",
    "user": "Tracker users and their access.",
    "blacklist": "The bot list (IPs and ranges).",
    "bot": "The bot list (same as blacklist).",
    "postback": "A campaign's S2S postbacks, and a test postback.",
    "click": "The clicks log, bulk costs, cleaning statistics.",
    "conversion": "The conversions log.",
    "statistics": "Reports and labels.",
    "log": "The tracker's logs.",
    "settings": "The tracker's settings.",
    "integration": "Third-party integrations (AVScan, IMKLO, Facebook).",
}


# -- help and examples -----------------------------------------------------------------

#: What every operation prints, said in its help.
PRINTS = (
    "Prints the request and Keitaro's answer as JSON (a table with --table); exits 1 when "
    "Keitaro refuses, 2 when the input is refused before anything is sent."
)
#: What an example types for each required option.
EXAMPLE_VALUES: dict[str, str] = {
    "id": "12",
    "campaign-id": "12",
    "target-campaign": "12",
    "log-type": "traffic",
    "path": "index.html",
    "content": "<h1>Spring sale</h1>",
    "label-name": "whitelist",
    "ref-name": "sub_id_1",
    "avscan-key": "4f0c2a9e7b1d",
    "imklo-url": "https://imklo.example.com/api",
}
#: The --id of an object named beside a campaign (an S2S postback, a Facebook
#: integration), so that the example does not give both the same id.
OTHER_ID = "3"
#: Values for a body's required fields: ``Schema.field`` first, then ``field``. A value
#: the field's choices do not allow gives way to the first choice.
BODY_VALUES: dict[str, Any] = {
    "alias": "spring",
    "name": "Spring",
    "StreamCreate.name": "Main flow",
    "LandingCreate.name": "Spring landing",
    "OfferCreate.name": "Spring offer",
    "AffiliateNetworkCreate.name": "Affise",
    "DomainCreate.name": "track.example.com",
    "is_ssl": True,
    "StreamCreate.type": "regular",
    "StreamCreate.schema": "redirect",
    "GroupCreate.type": "offers",
    "UserCreate.type": "USER",
    "action_type": "http",
    "campaign_id": 12,
    "campaign_ids": [12],
    "start_date": "2026-11-01",
    "end_date": "2026-11-07",
    "timezone": "Europe/Moscow",
    "cost": "150.00",
    "currency": "USD",
    "ref_name": "sub_id_1",
    "items": {"1001": "whitelist"},
    "login": "ana",
    "new_password": "Spring-2026-pass",
    "new_password_confirmation": "Spring-2026-pass",
}
#: The bodies of schemas that require no field: what an operator would most likely send.
EXAMPLE_BODIES: dict[str, Any] = {
    "CampaignUpdate": {"name": "Spring sale"},
    "StreamUpdate": {"name": "Spring flow"},
    "LandingUpdate": {"url": "https://lp.example.com/spring"},
    "OfferUpdate": {"payout_value": 25.0, "payout_currency": "USD"},
    "AffiliateNetworkUpdate": {"name": "Affise EU"},
    "TrafficSourceCreate": {"name": "Facebook Ads"},
    "TrafficSourceUpdate": {"name": "Facebook Ads EU"},
    "DomainUpdate": {"ssl_redirect": True},
    "GroupUpdate": {"name": "Spring 2026"},
    "UserUpdate": {"preferences": {"language": "en", "timezone": "Europe/Moscow"}},
    "UserAccess": {"access_data": {"campaigns": [12]}},
    "FacebookIntegration": {"name": "Facebook EU", "ad_account_id": "act_1234567890"},
    "S2SPostback": {
        "url": "https://network.example.com/pb?cid={subid}&status={status}",
        "method": "GET",
        "statuses": ["sale"],
    },
}


def example_body(schema_name: str) -> Any:
    """A body of the named schema: its required fields with plausible values, or, for a
    schema that requires none, the usual fields."""
    if schema_name in EXAMPLE_BODIES:
        return EXAMPLE_BODIES[schema_name]
    return _required_fields(getattr(schemas, schema_name)())


def _required_fields(schema: Schema) -> dict[str, Any]:
    name = type(schema).__name__
    return {
        field.data_key or key: _sample(name, key, field)
        for key, field in schema.fields.items()
        if field.required
    }


def _sample(schema_name: str, key: str, field: fields.Field) -> Any:
    if isinstance(field, fields.Nested):
        return _required_fields(field.schema)
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        return [_required_fields(field.inner.schema)]
    value = BODY_VALUES.get(f"{schema_name}.{key}", BODY_VALUES.get(key))
    choices = [c for v in field.validators if isinstance(v, OneOf) for c in v.choices]
    return choices[0] if choices and value not in choices else value


def example(command: Command) -> str:
    """A command line that runs ``command`` as typed: its required options, the --data
    its body needs, and what the table adds."""
    words = ["pbhub", "keitaro", command.resource, command.name]
    for name in command.options:
        param = OPTIONS[name]()
        if param.required:
            beside = name == "id" and {"campaign-id", "target-campaign"} & set(command.options)
            words += [param.opts[0], OTHER_ID if beside else EXAMPLE_VALUES[name]]
    if command.body:
        words += ["--data", json.dumps(example_body(command.body))]
    words += command.example
    return shlex.join(words)


def describe(command: Command) -> str:
    """The command's --help: what it does, what it prints, and an example."""
    return f"{command.help}\n\n{PRINTS}\n\n\b\nExample:\n  {example(command)}"


# -- running ---------------------------------------------------------------------------


def envelope(command: Command, request: Any, data: Any, error: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "request": request,
        "resource": command.resource,
        "operation": command.name,
        "success": error is None,
        "data": data,
        "error": error,
    }
    if command.is_list and error is None:
        rows = data.get("rows") if isinstance(data, dict) else data
        out["count"] = len(rows) if isinstance(rows, list) else 0
    return out


def error_body(exc: errors.KeitaroError) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type(exc).__name__, "message": exc.message}
    if exc.status:
        body["status"] = exc.status
    if getattr(exc, "fields", None):
        body["fields"] = exc.fields
    return body


def render_table(data: Any) -> str:
    rows = data.get("rows") if isinstance(data, dict) and "rows" in data else data
    if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
        columns = list(dict.fromkeys(key for r in rows for key in r))
        return tabulate(
            [[_cell(r.get(c)) for c in columns] for r in rows], headers=columns, tablefmt="simple"
        )
    if isinstance(rows, list):
        return "\n".join(_cell(r) for r in rows) or "(nothing)"
    if isinstance(data, dict):
        return tabulate([[k, _cell(v)] for k, v in data.items()], tablefmt="plain")
    return _cell(data)


def _cell(value: Any, width: int = 48) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def emit(result: dict[str, Any], table: bool) -> None:
    if table:
        if result["success"]:
            click.echo(render_table(result["data"]))
        else:
            click.echo(f"error: {result['error']['message']}", err=True)
    else:
        click.echo(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    if not result["success"]:
        refused_here = result["error"].get("type") == "InvalidRequest"
        sys.exit(2 if refused_here else 1)
