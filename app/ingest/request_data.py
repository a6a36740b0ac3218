"""Read what a network sent, defensively: any bytes, any encoding, any shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from app.core import json_limits
from app.core.keys import mask, redact
from app.core.params import clean, merge

TOKEN_PARAM = "_pbtoken"
TOKEN_HEADER = "X-Postback-Token"
KEPT_HEADERS = (
    "User-Agent",
    "Content-Type",
    "Content-Length",
    "Referer",
    "X-Forwarded-For",
    "X-Real-IP",
    "CF-Connecting-IP",
)
MAX_STORED_BODY = 16 * 1024
#: What is stored in place of a multipart body (its fields are not kept).
MULTIPART_BODY = "<multipart body>"


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("latin-1")


def _json_body(request: Request, text: str, notes: list[str]) -> Any:
    looks_json = request.is_json or text.lstrip()[:1] in ("{", "[")
    if not looks_json or not text.strip():
        return None
    try:
        return json_limits.loads(text)
    except ValueError:
        notes.append("body: invalid JSON ignored")
    except json_limits.NestingTooDeep as exc:
        notes.append(f"body: {exc}; its parameters were ignored, the body is kept as sent")
    return None


def read_params(request: Request) -> tuple[dict[str, str], list[str], str]:
    """Merged, cleaned parameters; notes; the body text as received (for storage)."""
    notes: list[str] = []
    if request.mimetype == "multipart/form-data":
        form = list(request.form.items(multi=True))
        return _finish(request, form, None, notes, MULTIPART_BODY)
    text = _decode(request.get_data(cache=True))
    form = []
    if request.mimetype == "application/x-www-form-urlencoded":
        form = parse_qsl(text, keep_blank_values=True)
    return _finish(request, form, _json_body(request, text, notes), notes, text)


def _finish(
    request: Request, form: list[tuple[str, str]], json_body: Any, notes: list[str], text: str
) -> tuple[dict[str, str], list[str], str]:
    params, merge_notes = merge(request.args.items(multi=True), form, json_body)
    params.pop(TOKEN_PARAM, None)
    return params, notes + merge_notes, text


def raw_request(
    request: Request, body_text: str, tokens: Iterable[str | None] = ()
) -> dict[str, Any]:
    """The request as stored on its conversion, with every token masked: ``tokens``
    (the one it came with) wherever they appear, and any token parameter or header in
    the body and headers, however many and in whatever form they were sent."""
    known = _known(tokens)
    query: dict[str, str] = {}
    for k, v in request.args.items(multi=True):
        # The first value of a repeated name, as ingest reads it (re-maps read this copy).
        query.setdefault(clean(k), mask(v) if k == TOKEN_PARAM else _hide(clean(v), known))
    body = redact(_hide(clean(body_text), known))
    return {
        "method": request.method,
        "path": _masked_path(request.path),
        "query": query,
        "body": body[:MAX_STORED_BODY],
        "body_truncated": len(body) > MAX_STORED_BODY,
        "headers": {
            h: redact(_hide(clean(request.headers[h]), known))[:512]
            for h in KEPT_HEADERS
            if h in request.headers
        },
        "remote_addr": request.remote_addr,
    }


def _known(tokens: Iterable[str | None]) -> list[str]:
    return [token for token in tokens if token]


def _hide(text: str, tokens: list[str]) -> str:
    for token in tokens:
        if token in text:
            text = text.replace(token, mask(token))
    return text


def rejection_excerpt(request: Request, tokens: Iterable[str | None], limit: int) -> str:
    """What a refused postback looked like, for troubleshooting: its request line and
    the start of its body, with every token in them masked (the refused one, and any
    other, valid or not, that came as a parameter or in the body)."""
    excerpt = f"{request.method} {request.full_path}"
    if request.method == "POST":
        try:
            excerpt += "\n" + request.get_data(cache=True)[:1024].decode("utf-8", "replace")
        except RequestEntityTooLarge:
            excerpt += "\n<body over the size limit>"
    return clean(redact(_hide(excerpt, _known(tokens))))[:limit]


def _masked_path(path: str) -> str:
    parts = path.split("/")
    if len(parts) >= 3 and parts[1] in ("pb", "learn"):
        parts[2] = mask(parts[2])
    return clean("/".join(parts))


def token_from(request: Request, path_token: str | None) -> str | None:
    return path_token or request.headers.get(TOKEN_HEADER) or request.args.get(TOKEN_PARAM)


def stored_params(raw: dict[str, Any]) -> tuple[dict[str, str], str | None]:
    """Parameters and per-event label of a stored postback, read the way ingest read
    them (for re-mapping history). A body stored truncated yields what was kept."""
    content_type = (raw.get("headers") or {}).get("Content-Type", "")
    body = raw.get("body") or ""
    form: list[tuple[str, str]] = []
    json_body = None
    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        form = parse_qsl(body, keep_blank_values=True)
    elif body.lstrip()[:1] in ("{", "["):
        try:
            json_body = json_limits.loads(body)
        except (ValueError, json_limits.NestingTooDeep):
            json_body = None
    query = [(k, v) for k, v in (raw.get("query") or {}).items() if k != TOKEN_PARAM]
    params, _ = merge(query, form, json_body)
    params.pop(TOKEN_PARAM, None)
    parts = (raw.get("path") or "").split("/")
    label = "/".join(parts[3:]) if len(parts) > 3 and parts[1] == "pb" else ""
    return params, clean(label) or None
