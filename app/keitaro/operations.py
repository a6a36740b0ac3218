"""Every operation of Keitaro's Admin API v1, as data: one row per method and path.

The typed client (``client.py``) and the CLI both read this table, so a path or a method
is written once. Names are Keitaro's path segments in kebab case; ``idempotent`` marks
the POSTs that change nothing or set a state (reports, enable, restore, ...), which may be
retried like reads. Creates, clones and uploads never are: a timed-out create may have
been made.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Operation:
    resource: str
    name: str
    method: str
    path: str
    summary: str
    body: str | None = None  # a schema's name in app.keitaro.schemas
    query: tuple[str, ...] = ()
    required_query: tuple[str, ...] = ()
    idempotent: bool | None = None  # None: decided by the method
    binary: bool = False

    @property
    def key(self) -> str:
        return f"{self.resource}.{self.name}"

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))


def _crud(
    resource: str, path: str, noun: str, create: str | None, update: str | None
) -> list[Operation]:
    return [
        Operation(resource, "list", "GET", path, f"All {noun}s"),
        Operation(resource, "get", "GET", f"{path}/{{id}}", f"One {noun}"),
        Operation(resource, "create", "POST", path, f"Create a {noun}", body=create),
        Operation(resource, "update", "PUT", f"{path}/{{id}}", f"Change a {noun}", body=update),
    ]


def _files(resource: str, path: str, noun: str) -> list[Operation]:
    item = f"{path}/{{id}}"
    return [
        Operation(
            resource,
            "download",
            "GET",
            f"{item}/download",
            f"The {noun}'s files as a zip archive",
            binary=True,
        ),
        Operation(
            resource,
            "get-file",
            "GET",
            f"{item}/get_file",
            f"Read one file of a local {noun}",
            query=("path",),
            required_query=("path",),
        ),
        Operation(
            resource, "get-structure", "GET", f"{item}/get_structure", f"A local {noun}'s files"
        ),
        Operation(
            resource,
            "add-file",
            "POST",
            f"{item}/add_file",
            f"Create a file in a local {noun}",
            query=("path",),
            required_query=("path",),
        ),
        Operation(
            resource,
            "remove-file",
            "DELETE",
            f"{item}/remove_file",
            f"Delete a file of a local {noun}",
            query=("path",),
            required_query=("path",),
        ),
        Operation(
            resource,
            "update-file",
            "PUT",
            f"{item}/update_file",
            f"Save a file of a local {noun}",
            query=("path", "data"),
            required_query=("path", "data"),
        ),
    ]


def _state(resource: str, path: str, noun: str, *names: str) -> list[Operation]:
    summaries = {
        "enable": f"Start a {noun}",
        "disable": f"Stop a {noun}",
        "restore": f"Bring an archived {noun} back",
        "check": f"Re-check a {noun}'s DNS and certificate",
    }
    return [
        Operation(
            resource,
            name,
            "POST",
            f"{path}/{{id}}/{name}",
            summaries[name],
            idempotent=True,
        )
        for name in names
    ]


OPERATIONS: tuple[Operation, ...] = (
    # Campaigns
    *_crud("campaigns", "campaigns", "campaign", "CampaignCreate", "CampaignUpdate"),
    Operation("campaigns", "delete", "DELETE", "campaigns/{id}", "Archive a campaign"),
    Operation("campaigns", "deleted", "GET", "campaigns/deleted", "Archived campaigns"),
    Operation("campaigns", "clone", "POST", "campaigns/{id}/clone", "Copy a campaign"),
    *_state("campaigns", "campaigns", "campaign", "enable", "disable", "restore"),
    Operation(
        "campaigns",
        "update-costs",
        "POST",
        "campaigns/{id}/update_costs",
        "Set a campaign's costs for a period",
        body="CampaignCosts",
    ),
    # Flows (streams) and their catalogues
    Operation("streams", "list", "GET", "campaigns/{id}/streams", "A campaign's flows"),
    Operation("streams", "get", "GET", "streams/{id}", "One flow"),
    Operation("streams", "create", "POST", "streams", "Create a flow", body="StreamCreate"),
    Operation("streams", "update", "PUT", "streams/{id}", "Change a flow", body="StreamUpdate"),
    Operation("streams", "delete", "DELETE", "streams/{id}", "Archive a flow"),
    Operation("streams", "deleted", "GET", "streams/deleted", "Archived flows"),
    *_state("streams", "streams", "flow", "enable", "disable", "restore"),
    Operation("streams", "events", "GET", "streams/{id}/events", "A flow's change history"),
    Operation(
        "streams",
        "search",
        "GET",
        "streams/search",
        "Flows whose name or settings match",
        query=("query",),
        required_query=("query",),
    ),
    Operation("streams", "filters", "GET", "stream_filters", "The flow filter catalogue"),
    Operation("streams", "schemas", "GET", "stream_schemas", "Flow schemas"),
    Operation("streams", "types", "GET", "stream_types", "Flow types"),
    Operation("streams", "actions", "GET", "streams_actions", "Flow actions"),
    # Landing pages
    *_crud("landings", "landing_pages", "landing page", "LandingCreate", "LandingUpdate"),
    Operation("landings", "delete", "DELETE", "landing_pages/{id}", "Archive a landing page"),
    Operation(
        "landings",
        "clone",
        "PUT",
        "landing_pages/{id}/clone",
        "Copy a landing page",
        idempotent=False,
    ),
    *_files("landings", "landing_pages", "landing page"),
    # Offers
    *_crud("offers", "offers", "offer", "OfferCreate", "OfferUpdate"),
    Operation("offers", "archive", "DELETE", "offers/{id}/archive", "Archive an offer"),
    Operation("offers", "clone", "POST", "offers/{id}/clone", "Copy an offer"),
    *_files("offers", "offers", "offer"),
    # Affiliate networks
    *_crud(
        "affiliate_networks",
        "affiliate_networks",
        "affiliate network",
        "AffiliateNetworkCreate",
        "AffiliateNetworkUpdate",
    ),
    Operation(
        "affiliate_networks",
        "delete",
        "DELETE",
        "affiliate_networks/{id}",
        "Archive an affiliate network",
    ),
    Operation(
        "affiliate_networks",
        "clone",
        "POST",
        "affiliate_networks/{id}/clone",
        "Copy an affiliate network",
    ),
    # Traffic sources
    *_crud(
        "traffic_sources",
        "traffic_sources",
        "traffic source",
        "TrafficSourceCreate",
        "TrafficSourceUpdate",
    ),
    Operation(
        "traffic_sources", "delete", "DELETE", "traffic_sources/{id}", "Delete a traffic source"
    ),
    Operation(
        "traffic_sources", "clone", "POST", "traffic_sources/{id}/clone", "Copy a traffic source"
    ),
    # Domains
    *_crud("domains", "domains", "domain", "DomainCreate", "DomainUpdate"),
    Operation("domains", "delete", "DELETE", "domains/{id}", "Archive a domain"),
    Operation("domains", "deleted", "GET", "domains/deleted", "Archived domains"),
    *_state("domains", "domains", "domain", "restore", "check"),
    # Groups
    Operation(
        "groups",
        "list",
        "GET",
        "groups",
        "Groups of one type (campaigns, offers, landings)",
        query=("type",),
        required_query=("type",),
    ),
    Operation("groups", "create", "POST", "groups", "Create a group", body="GroupCreate"),
    Operation("groups", "update", "PUT", "groups/{id}", "Rename a group", body="GroupUpdate"),
    Operation("groups", "delete", "DELETE", "groups/{id}/delete", "Delete a group"),
    # Users and their access
    *_crud("users", "users", "user", "UserCreate", "UserUpdate"),
    Operation("users", "delete", "DELETE", "users/{id}", "Delete a user"),
    Operation(
        "users", "access", "PUT", "users/{id}/access", "Set a user's access", body="UserAccess"
    ),
    # The bot list
    Operation("botlist", "list", "GET", "botlist", "The bot list's rows"),
    Operation("botlist", "add", "POST", "botlist/add", "Add rows", body="BotListValue"),
    Operation(
        "botlist",
        "exclude",
        "POST",
        "botlist/exclude",
        "Remove rows",
        body="BotListValue",
        idempotent=True,
    ),
    Operation("botlist", "replace", "PUT", "botlist", "Replace every row", body="BotListValue"),
    Operation("botlist", "clear", "DELETE", "botlist", "Remove every row"),
    # Clicks
    Operation(
        "clicks",
        "log",
        "POST",
        "clicks/log",
        "The clicks log (one page)",
        body="ClickLogQuery",
        idempotent=True,
    ),
    Operation(
        "clicks",
        "update-costs",
        "POST",
        "clicks/update_costs",
        "Set costs of campaigns' clicks in bulk",
        body="ClickCosts",
    ),
    Operation(
        "clicks",
        "clean",
        "POST",
        "clicks/clean",
        "Delete statistics of a period",
        body="CleanStats",
    ),
    # Conversions
    Operation(
        "conversions",
        "log",
        "POST",
        "conversions/log",
        "The conversions log (one page)",
        body="ConversionLogQuery",
        idempotent=True,
    ),
    # Reports
    Operation(
        "reports",
        "build",
        "POST",
        "report/build",
        "Build a report (one page)",
        body="ReportQuery",
        idempotent=True,
    ),
    Operation(
        "reports",
        "labels",
        "GET",
        "report/labels",
        "A campaign's labels",
        query=("campaign_id", "label_name", "ref_name"),
        required_query=("campaign_id", "label_name", "ref_name"),
    ),
    Operation(
        "reports",
        "update-labels",
        "POST",
        "report/labels",
        "Set a campaign's labels",
        body="LabelsUpdate",
        idempotent=True,
    ),
    # Logs
    Operation(
        "logs",
        "get",
        "GET",
        "logs/{type}",
        "One page of a log",
        query=("limit", "offset", "query"),
        required_query=("limit",),
    ),
    Operation("logs", "clear", "DELETE", "logs/{type}", "Empty a log"),
    Operation("logs", "types", "POST", "logs/types", "The log types", idempotent=True),
    # Third-party integrations
    Operation("integrations", "avscan", "GET", "integrations/avscan", "The AVScan key"),
    Operation(
        "integrations",
        "set-avscan",
        "PUT",
        "integrations/avscan",
        "Set the AVScan key",
        query=("avscan_key",),
        required_query=("avscan_key",),
    ),
    Operation("integrations", "imklo", "GET", "integrations/imklo", "The IMKLO API URL"),
    Operation(
        "integrations",
        "set-imklo",
        "PUT",
        "integrations/imklo",
        "Set the IMKLO API URL",
        query=("imklo_api_url",),
        required_query=("imklo_api_url",),
    ),
    Operation(
        "integrations", "facebook-list", "GET", "integrations/facebook", "Facebook integrations"
    ),
    Operation(
        "integrations",
        "facebook-create",
        "POST",
        "integrations/facebook",
        "Add a Facebook integration",
        body="FacebookIntegration",
    ),
    Operation(
        "integrations",
        "facebook-get",
        "GET",
        "integrations/facebook/{id}",
        "One Facebook integration",
    ),
    Operation(
        "integrations",
        "facebook-update",
        "PUT",
        "integrations/facebook/{id}",
        "Change a Facebook integration",
        body="FacebookIntegration",
    ),
    Operation(
        "integrations",
        "facebook-delete",
        "DELETE",
        "integrations/facebook/{id}",
        "Remove a Facebook integration",
    ),
    Operation(
        "integrations",
        "facebook-campaigns",
        "GET",
        "integrations/facebook/{id}/campaign",
        "Campaigns linked to a Facebook integration",
    ),
    Operation(
        "integrations",
        "facebook-add-campaign",
        "POST",
        "integrations/facebook/{id}/campaign",
        "Link a campaign to a Facebook integration",
        body="FacebookCampaignLink",
        idempotent=True,
    ),
    Operation(
        "integrations",
        "facebook-remove-campaign",
        "DELETE",
        "integrations/facebook/{id}/campaign",
        "Unlink a campaign from a Facebook integration",
        body="FacebookCampaignLink",
    ),
    # Tracker settings (answered by newer trackers; not in the v1 document)
    Operation("settings", "get", "GET", "settings", "The tracker's settings"),
)

BY_KEY: dict[str, Operation] = {op.key: op for op in OPERATIONS}

if len(BY_KEY) != len(OPERATIONS):
    raise RuntimeError("two Keitaro operations share a resource and name")


def operation(resource: str, name: str) -> Operation:
    return BY_KEY[f"{resource}.{name}"]
