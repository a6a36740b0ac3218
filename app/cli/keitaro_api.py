"""``pbhub keitaro RESOURCE OPERATION``: every Admin API operation from the shell.

Resources are the names users know from the popular no-code Keitaro node, each mapped to
the real API. Every command prints ``{request, resource, operation, success, data,
error}`` (plus ``count`` for lists) as JSON, or a table with ``--table``, and exits
non-zero on failure. A resource asked for an operation Keitaro does not have says so.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from tabulate import tabulate

from app.core import json_limits
from app.keitaro import errors, postbacks
from app.keitaro.client import Keitaro
from app.keitaro.ranges import PRESETS, build_range

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


#: Keitaro's ids count from 1: a smaller one is refused here, naming the option.
ID_TYPE = click.IntRange(min=1)


def _opt_id(required: bool = True) -> click.Option:
    return click.Option(["--id", "object_id"], type=ID_TYPE, required=required, help="Object id.")


OPTIONS: dict[str, Callable[[], click.Option]] = {
    "id": _opt_id,
    "data": lambda: click.Option(
        ["--data"], help="JSON body, @file.json, or - for stdin (stdin is read when piped)."
    ),
    "campaign-id": lambda: click.Option(["--campaign-id"], type=ID_TYPE, required=True),
    "group-type": lambda: click.Option(
        ["--type", "group_type"],
        type=click.Choice(["campaigns", "offers", "landings"]),
        default="campaigns",
        show_default=True,
    ),
    "log-type": lambda: click.Option(
        ["--type", "log_type"],
        type=click.Choice(["system", "traffic", "postbacks", "ssl", "sent_postbacks"]),
        required=True,
    ),
    "path": lambda: click.Option(
        ["--path", "file_path"], required=True, help="Relative file path."
    ),
    "content": lambda: click.Option(["--content"], required=True, help="The file's new content."),
    "query": lambda: click.Option(["--query"], help="Search text."),
    "value": lambda: click.Option(
        ["--value"], help="Bot list rows (IPs, ranges), one per line; stdin when piped."
    ),
    "limit": lambda: click.Option(
        ["--limit"], type=click.IntRange(min=1), default=100, show_default=True
    ),
    "offset": lambda: click.Option(
        ["--offset"], type=click.IntRange(min=0), default=0, show_default=True
    ),
    "all": lambda: click.Option(["--all", "read_all"], is_flag=True, help="Read every page."),
    "range": lambda: click.Option(
        ["--range", "range_name"], type=click.Choice(PRESETS), default="today", show_default=True
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
    "label-name": lambda: click.Option(["--label-name"], required=True),
    "ref-name": lambda: click.Option(["--ref-name"], required=True),
    "avscan-key": lambda: click.Option(["--key", "avscan_key"], required=True),
    "imklo-url": lambda: click.Option(["--url", "imklo_url"], required=True),
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


def _crud(resource: str, api: str, noun: str) -> list[Command]:
    return [
        Command(resource, "list", f"All {noun}s.", lambda k, a: getattr(k, api).list(), (), True),
        Command(
            resource, "get", f"One {noun}.", lambda k, a: getattr(k, api).get(a["object_id"]), ID
        ),
        Command(
            resource,
            "create",
            f"Create a {noun}.",
            lambda k, a: getattr(k, api).create(read_data(a)),
            DATA,
        ),
        Command(
            resource,
            "update",
            f"Change a {noun}.",
            lambda k, a: getattr(k, api).update(a["object_id"], read_data(a)),
            ID_DATA,
        ),
    ]


def _by_id(resource: str, name: str, help: str, call: Callable[[Keitaro, int], Any]) -> Command:
    return Command(resource, name, help, lambda k, a: call(k, a["object_id"]), ID)


def _files(resource: str, api: str) -> list[Command]:
    def files(k: Keitaro) -> Any:
        return getattr(k, api)

    return [
        Command(
            resource,
            "download",
            "Download the files as a zip (--output FILE).",
            lambda k, a: _save_zip(files(k).download(a["object_id"]), a),
            ("id", "output"),
        ),
        Command(
            resource,
            "get-file",
            "Read one file.",
            lambda k, a: files(k).get_file(a["object_id"], a["file_path"]),
            ("id", "path"),
        ),
        _by_id(resource, "get-structure", "The files.", lambda k, i: files(k).get_structure(i)),
        Command(
            resource,
            "add-file",
            "Create a file.",
            lambda k, a: files(k).add_file(a["object_id"], a["file_path"]),
            ("id", "path"),
        ),
        Command(
            resource,
            "remove-file",
            "Delete a file.",
            lambda k, a: files(k).remove_file(a["object_id"], a["file_path"]),
            ("id", "path"),
        ),
        Command(
            resource,
            "update-file",
            "Save a file's content.",
            lambda k, a: files(k).update_file(a["object_id"], a["file_path"], a["content"]),
            ("id", "path", "content"),
        ),
    ]


def _save_zip(content: bytes, args: Args) -> dict[str, Any]:
    target = Path(args.get("output") or f"keitaro-{args['object_id']}.zip")
    target.write_bytes(content)
    return {"file": str(target), "bytes": len(content)}


OPTIONS["output"] = lambda: click.Option(["--output"], help="Where to write the zip.")


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
    return [
        Command(resource, "list", "The bot list's rows.", lambda k, a: k.botlist.list(), (), True),
        Command(
            resource, "add", "Add rows.", lambda k, a: k.botlist.add(_value(a)), ("value", "data")
        ),
        Command(
            resource,
            "exclude",
            "Remove rows.",
            lambda k, a: k.botlist.exclude(_value(a)),
            ("value", "data"),
        ),
        Command(
            resource,
            "replace",
            "Replace every row.",
            lambda k, a: k.botlist.replace(_value(a)),
            ("value", "data"),
        ),
        Command(resource, "clear", "Remove every row.", lambda k, a: k.botlist.clear()),
    ]


COMMANDS: tuple[Command, ...] = (
    # campaign
    *_crud("campaign", "campaigns", "campaign"),
    _by_id("campaign", "delete", "Archive a campaign.", lambda k, i: k.campaigns.delete(i)),
    Command(
        "campaign", "deleted", "Archived campaigns.", lambda k, a: k.campaigns.deleted(), (), True
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
        "Set costs for a period.",
        lambda k, a: k.campaigns.update_costs(a["object_id"], read_data(a)),
        ID_DATA,
    ),
    Command(
        "campaign",
        "streams",
        "The campaign's flows.",
        lambda k, a: k.streams.list(a["object_id"]),
        ID,
        True,
    ),
    # stream
    Command(
        "stream",
        "list",
        "A campaign's flows (--campaign-id).",
        lambda k, a: k.streams.list(a["campaign_id"]),
        ("campaign-id",),
        True,
    ),
    _by_id("stream", "get", "One flow.", lambda k, i: k.streams.get(i)),
    Command(
        "stream", "create", "Create a flow.", lambda k, a: k.streams.create(read_data(a)), DATA
    ),
    Command(
        "stream",
        "update",
        "Change a flow.",
        lambda k, a: k.streams.update(a["object_id"], read_data(a)),
        ID_DATA,
    ),
    _by_id("stream", "delete", "Archive a flow.", lambda k, i: k.streams.delete(i)),
    Command("stream", "deleted", "Archived flows.", lambda k, a: k.streams.deleted(), (), True),
    _by_id("stream", "enable", "Start a flow.", lambda k, i: k.streams.enable(i)),
    _by_id("stream", "disable", "Stop a flow.", lambda k, i: k.streams.disable(i)),
    _by_id("stream", "restore", "Restore an archived flow.", lambda k, i: k.streams.restore(i)),
    _by_id("stream", "events", "A flow's change history.", lambda k, i: k.streams.events(i)),
    Command(
        "stream",
        "search",
        "Flows matching a text.",
        lambda k, a: k.streams.search(a["query"] or ""),
        ("query",),
        True,
    ),
    Command("stream", "types", "Flow types.", lambda k, a: k.streams.types(), (), True),
    Command("stream", "schemas", "Flow schemas.", lambda k, a: k.streams.schemas(), (), True),
    Command("stream", "actions", "Flow actions.", lambda k, a: k.streams.actions(), (), True),
    # filter
    Command(
        "filter", "list", "The flow filter catalogue.", lambda k, a: k.streams.filters(), (), True
    ),
    Command(
        "filter",
        "get",
        "A flow's filters (--id is the flow).",
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
    ),
    # landing
    *_crud("landing", "landings", "landing page"),
    _by_id("landing", "delete", "Archive a landing page.", lambda k, i: k.landings.delete(i)),
    _by_id("landing", "clone", "Copy a landing page.", lambda k, i: k.landings.clone(i)),
    *_files("landing", "landings"),
    # offer
    *_crud("offer", "offers", "offer"),
    _by_id("offer", "delete", "Archive an offer.", lambda k, i: k.offers.archive(i)),
    _by_id("offer", "archive", "Archive an offer.", lambda k, i: k.offers.archive(i)),
    _by_id("offer", "clone", "Copy an offer.", lambda k, i: k.offers.clone(i)),
    *_files("offer", "offers"),
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
    Command("domain", "deleted", "Archived domains.", lambda k, a: k.domains.deleted(), (), True),
    _by_id("domain", "restore", "Restore an archived domain.", lambda k, i: k.domains.restore(i)),
    _by_id("domain", "check", "Re-check DNS and certificate.", lambda k, i: k.domains.check(i)),
    # group
    Command(
        "group",
        "list",
        "Groups of one type.",
        lambda k, a: k.groups.list(a["group_type"]),
        ("group-type",),
        True,
    ),
    Command("group", "create", "Create a group.", lambda k, a: k.groups.create(read_data(a)), DATA),
    Command(
        "group",
        "update",
        "Rename a group.",
        lambda k, a: k.groups.update(a["object_id"], read_data(a)),
        ID_DATA,
    ),
    _by_id("group", "delete", "Delete a group.", lambda k, i: k.groups.delete(i)),
    # user
    *_crud("user", "users", "user"),
    _by_id("user", "delete", "Delete a user.", lambda k, i: k.users.delete(i)),
    Command(
        "user",
        "access",
        "Set a user's access.",
        lambda k, a: k.users.access(a["object_id"], read_data(a)),
        ID_DATA,
    ),
    # bot list, under both names users know
    *_botlist("blacklist"),
    *_botlist("bot"),
    # postback: a campaign's S2S postbacks
    Command(
        "postback",
        "list",
        "A campaign's S2S postbacks.",
        lambda k, a: postbacks.list_postbacks(k, a["campaign_id"]),
        ("campaign-id",),
        True,
    ),
    Command(
        "postback",
        "get",
        "One S2S postback.",
        lambda k, a: postbacks.get_postback(k, a["campaign_id"], a["object_id"]),
        ("campaign-id", "id"),
    ),
    Command(
        "postback",
        "create",
        "Add an S2S postback to a campaign.",
        lambda k, a: postbacks.create_postback(k, a["campaign_id"], read_data(a)),
        ("campaign-id", "data"),
    ),
    Command(
        "postback",
        "update",
        "Change an S2S postback.",
        lambda k, a: postbacks.update_postback(k, a["campaign_id"], a["object_id"], read_data(a)),
        ("campaign-id", "id", "data"),
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
    ),
    # click
    Command(
        "click",
        "get-all",
        "The clicks log (a range, --limit, or --all pages).",
        lambda k, a: _rows(k, a, k.clicks, []),
        ("range", "from", "to", "timezone", "limit", "offset", "all", "data"),
        True,
    ),
    Command(
        "click",
        "update-costs",
        "Set costs of campaigns' clicks in bulk.",
        lambda k, a: k.clicks.update_costs(read_data(a)),
        DATA,
    ),
    Command(
        "click",
        "clean",
        "Delete statistics of a period.",
        lambda k, a: k.clicks.clean(read_data(a)),
        DATA,
    ),
    # conversion
    Command(
        "conversion",
        "get-all",
        "The conversions log with filters.",
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
    ),
    # statistics
    Command(
        "statistics",
        "build",
        "Build a report for a range.",
        _report,
        ("range", "from", "to", "timezone", "grouping", "metrics", "all", "data"),
    ),
    Command(
        "statistics",
        "labels",
        "A campaign's labels.",
        lambda k, a: k.reports.labels(a["campaign_id"], a["label_name"], a["ref_name"]),
        ("campaign-id", "label-name", "ref-name"),
    ),
    Command(
        "statistics",
        "update-labels",
        "Set a campaign's labels.",
        lambda k, a: k.reports.update_labels(read_data(a)),
        DATA,
    ),
    # log
    Command("log", "types", "The log types.", lambda k, a: k.logs.types(), (), True),
    Command(
        "log",
        "get",
        "Entries of one log.",
        lambda k, a: (
            list(k.logs.iter(a["log_type"], query=a.get("query")))
            if a.get("read_all")
            else k.logs.get(
                a["log_type"], limit=a["limit"], offset=a["offset"], query=a.get("query")
            )
        ),
        ("log-type", "limit", "offset", "query", "all"),
        True,
    ),
    Command(
        "log", "clear", "Empty one log.", lambda k, a: k.logs.clear(a["log_type"]), ("log-type",)
    ),
    # settings
    Command("settings", "get", "The tracker's settings.", lambda k, a: k.settings.get()),
    # third-party integrations
    Command("integration", "avscan", "The AVScan key.", lambda k, a: k.integrations.avscan()),
    Command(
        "integration",
        "set-avscan",
        "Set the AVScan key.",
        lambda k, a: k.integrations.set_avscan(a["avscan_key"]),
        ("avscan-key",),
    ),
    Command("integration", "imklo", "The IMKLO API URL.", lambda k, a: k.integrations.imklo()),
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
        "Facebook integrations.",
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
    ),
    _by_id(
        "integration",
        "facebook-get",
        "One Facebook integration.",
        lambda k, i: k.integrations.facebook_get(i),
    ),
    Command(
        "integration",
        "facebook-update",
        "Change a Facebook integration.",
        lambda k, a: k.integrations.facebook_update(a["object_id"], read_data(a)),
        ID_DATA,
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
        "Campaigns linked to an integration.",
        lambda k, a: k.integrations.facebook_campaigns(a["object_id"]),
        ID,
        True,
    ),
    Command(
        "integration",
        "facebook-add-campaign",
        "Link a campaign.",
        lambda k, a: k.integrations.facebook_add_campaign(a["object_id"], a["target_campaign"]),
        ("id", "target-campaign"),
    ),
    Command(
        "integration",
        "facebook-remove-campaign",
        "Unlink a campaign.",
        lambda k, a: k.integrations.facebook_remove_campaign(a["object_id"], a["target_campaign"]),
        ("id", "target-campaign"),
    ),
)

RESOURCES: dict[str, str] = {
    "campaign": "Campaigns.",
    "stream": "Flows (streams) and their catalogues.",
    "filter": "The flow filter catalogue and a flow's filters.",
    "landing": "Landing pages and their files.",
    "offer": "Offers and their files.",
    "network": "Affiliate networks.",
    "source": "Traffic sources.",
    "domain": "Domains.",
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
        sys.exit(1)
