"""What every operation of the OpenAPI document states without its docstring repeating it.

It is derived from the route itself, so a new route is described right by being declared:
its path parameters and their types (from the rule's converters), an ``operationId``, a
tag and a summary, a description for every response, the errors it can answer (401 and
403 from its ``require``, 404 from its path, 400, 413 and 422 from the body or query it
reads, 503 from the database) and links from a created resource to the operations on it.
A docstring says what only it knows: the success schemas, the 409s and 502s its service
raises, and any description better than the default.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from itertools import pairwise
from typing import Any

from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask
from werkzeug.routing import BaseConverter, Rule
from werkzeug.routing.converters import NumberConverter

from app.api.auth import required_role
from app.auth.session import ROLE_RANK
from app.request import route_converters

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
MAX_INT32 = 2**31 - 1
HTTP_METHODS = frozenset(("get", "put", "post", "delete", "options", "head", "patch", "trace"))


@dataclass(frozen=True)
class SharedError:
    """An error answer many operations give alike, kept once under components/responses."""

    name: str
    description: str
    #: header -> what it holds
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> dict[str, str]:
        return {"$ref": f"#/components/responses/{self.name}"}


SHARED_ERRORS: dict[int, SharedError] = {
    400: SharedError(
        "BadRequest",
        "The request could not be read: a JSON body nested deeper than 32 levels, or a NUL "
        "character in a query parameter.",
    ),
    401: SharedError(
        "Unauthorized",
        "No API token, or one that is unknown or revoked: send `Authorization: Bearer <token>`.",
        {"WWW-Authenticate": 'Bearer realm="pbhub"'},
    ),
    403: SharedError("Forbidden", "The token's user does not hold the role this operation needs."),
    404: SharedError("NotFound", "Not found: the message names what is missing."),
    409: SharedError(
        "Conflict",
        "Refused by the current state (a name already taken, a resource still in use); the "
        "message says what to change.",
    ),
    413: SharedError("PayloadTooLarge", "The body is larger than PBHUB_MAX_BODY_BYTES allows."),
    422: SharedError(
        "ValidationError",
        "Refused input: in error.fields one sentence per field, each naming the field by its "
        "JSON key; all of them in error.message.",
    ),
    502: SharedError("BadGateway", "Keitaro refused or failed; the message carries its reason."),
    503: SharedError(
        "Unavailable",
        "The database is unavailable and nothing was stored; retry after Retry-After seconds.",
        {"Retry-After": "seconds to wait before retrying"},
    ),
}

SUCCESS = {200: "OK.", 201: "Created.", 202: "Accepted: queued.", 204: "Done; no content."}


@dataclass(frozen=True)
class Route:
    """One method of one API rule, with the OpenAPI path it is documented under."""

    path: str
    method: str
    rule: Rule
    view: Callable[..., Any]


def api_routes(app: Flask, skip: Iterable[str] = ("api.openapi",)) -> Iterator[Route]:
    """Every documented operation of the API blueprint, as the URL map routes it."""
    skipped = set(skip)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in skipped:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Route(FlaskPlugin.flaskpath2openapi(rule.rule), method.lower(), rule, view)


def complete(document: dict[str, Any], routes: Iterable[Route]) -> dict[str, Any]:
    """``document`` with every operation of ``routes`` stating all it can answer."""
    components = document.setdefault("components", {})
    components["responses"] = {
        error.name: shared_response(error) for error in SHARED_ERRORS.values()
    }
    for route in routes:
        item = document.setdefault("paths", {}).setdefault(route.path, {})
        operation = item.setdefault(route.method, {})
        name_operation(operation, route)
        declare_path_parameters(operation, route.rule)
        complete_responses(operation, route)
    link_created_resources(document["paths"])
    return document


def shared_response(error: SharedError) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": error.description,
        "content": {"application/json": {"schema": ERROR_SCHEMA}},
    }
    if error.headers:
        response["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in error.headers.items()
        }
    return response


# -- naming ---------------------------------------------------------------------------------


def name_operation(operation: dict[str, Any], route: Route) -> None:
    """An ``operationId`` (client generators name their methods by it; links point at it),
    a tag per API module and the docstring's first paragraph as the summary."""
    operation.setdefault("operationId", route.rule.endpoint.removeprefix("api."))
    operation.setdefault("tags", [route.view.__module__.rsplit(".", 1)[-1]])
    lead = docstring_lead(route.view)
    if lead and "summary" not in operation:
        operation["summary"] = lead
    elif lead and lead != operation["summary"]:
        operation.setdefault("description", lead)


def docstring_lead(view: Callable[..., Any]) -> str:
    """The view docstring's first paragraph, before its YAML, as one line of Markdown."""
    text = (inspect.getdoc(view) or "").split("---", 1)[0].strip()
    return " ".join(text.split("\n\n", 1)[0].split()).replace("``", "`")


# -- path parameters ------------------------------------------------------------------------


def declare_path_parameters(operation: dict[str, Any], rule: Rule) -> None:
    """Every variable of the rule, typed as its converter matches it, unless the docstring
    declared it already."""
    parameters = operation.get("parameters", [])
    declared = {p.get("name") for p in parameters if p.get("in") == "path"}
    missing = [
        {"in": "path", "name": name, "required": True, "schema": converter_schema(converter)}
        for name, converter in route_converters(rule).items()
        if name not in declared
    ]
    if missing:
        operation["parameters"] = missing + parameters


def converter_schema(converter: BaseConverter) -> dict[str, Any]:
    """The values a URL converter accepts: numbers within its bounds, else its pattern."""
    if not isinstance(converter, NumberConverter):
        return {"type": "string", "pattern": f"^(?:{converter.regex})$"}
    integer = converter.num_convert is int
    schema: dict[str, Any] = {"type": "integer" if integer else "number"}
    if converter.min is not None:
        schema["minimum"] = converter.min
    elif not converter.signed:
        schema["minimum"] = 0
    if converter.max is not None:
        schema["maximum"] = converter.max
    if integer:
        fits = converter.max is not None and converter.max <= MAX_INT32
        schema["format"] = "int32" if fits else "int64"
    return schema


# -- responses ------------------------------------------------------------------------------


def error_statuses(operation: dict[str, Any], route: Route) -> set[int]:
    """The errors any such route can answer, whatever its service does."""
    statuses = {503}  # the database can fail under any of them
    role = required_role(route.view)
    if role is not None:
        statuses.add(401)
        if ROLE_RANK[role] > min(ROLE_RANK.values()):
            statuses.add(403)
    if route.rule.arguments:
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        statuses |= {400, 422}
    return statuses


def complete_responses(operation: dict[str, Any], route: Route) -> None:
    responses = operation.setdefault("responses", {})
    for status in error_statuses(operation, route):
        responses.setdefault(str(status), {})
    operation["responses"] = {
        status: complete_response(int(status), responses[status], route)
        for status in sorted(responses)
    }


def complete_response(status: int, response: dict[str, Any], route: Route) -> dict[str, Any]:
    """A response with its required description; an error with the one error shape, by
    reference when the docstring has nothing of its own to say about it."""
    if "$ref" in response:
        return response
    if status < 400:
        return {"description": SUCCESS.get(status) or f"{HTTPStatus(status).phrase}.", **response}
    if not response.get("description"):
        if status == 404 and route.rule.arguments:
            response = {**response, "description": not_found(route)}
        elif status in SHARED_ERRORS:
            return SHARED_ERRORS[status].ref
    content = {"application/json": {"schema": ERROR_SCHEMA}}
    return {"description": f"{HTTPStatus(status).phrase}.", "content": content, **response}


def not_found(route: Route) -> str:
    """The 404's description ("Not found: no such outbound postback."), from the path
    segment before each variable."""
    nouns = [
        singular(segment)
        for segment, following in pairwise(route.path.split("/"))
        if following.startswith("{") and not segment.startswith("{")
    ]
    return f"Not found: no such {' or '.join(nouns)}."


def singular(segment: str) -> str:
    word = segment.replace("-", " ")
    if word.endswith("ies"):
        return word[: -len("ies")] + "y"
    return word.removesuffix("s")


# -- links ----------------------------------------------------------------------------------


def link_created_resources(paths: dict[str, Any]) -> None:
    """A 201 answer's ``id`` feeds every operation under ``{created path}/{id}``, so a
    client (and the stateful tests) can follow what it created."""
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201", {})
        if not created or "$ref" in created:
            continue
        for target_path, target in paths.items():
            match = re.fullmatch(re.escape(path) + r"/\{(\w+)\}(?:/.*)?", target_path)
            if match is None:
                continue
            links = created.setdefault("links", {})
            for method, operation in target.items():
                if method not in HTTP_METHODS:
                    continue
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": {match[1]: "$response.body#/id"},
                }
