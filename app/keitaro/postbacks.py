"""A campaign's S2S postbacks, which Keitaro keeps inside the campaign object: reading
one means reading the campaign, changing one means writing the campaign's list back.
Plus a test postback fired at the tracker's own postback URL."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from marshmallow import ValidationError

from app.core import field_errors
from app.core.keys import mask
from app.keitaro import errors
from app.keitaro.client import Keitaro
from app.keitaro.schemas import S2SPostback
from app.keitaro.transport import API_PATH, USER_AGENT, guard_error
from app.outbound import http as outbound_http
from app.outbound import ssrf


def list_postbacks(client: Keitaro, campaign_id: int) -> list[dict[str, Any]]:
    return list(client.campaigns.get(campaign_id).get("postbacks") or [])


def get_postback(client: Keitaro, campaign_id: int, postback_id: int) -> dict[str, Any]:
    for postback in list_postbacks(client, campaign_id):
        if postback.get("id") == postback_id:
            return postback
    raise errors.NotFound(f"campaign {campaign_id} has no postback {postback_id}")


def create_postback(client: Keitaro, campaign_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    new = _valid(data)
    new.pop("id", None)
    current = list_postbacks(client, campaign_id)
    known = {p.get("id") for p in current}
    saved = _save(client, campaign_id, [*current, {**new, "campaign_id": campaign_id}])
    added = [p for p in saved if p.get("id") not in known]
    return added[-1] if added else {**new, "campaign_id": campaign_id}


def update_postback(
    client: Keitaro, campaign_id: int, postback_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    changes = _valid(data)
    current = list_postbacks(client, campaign_id)
    if not any(p.get("id") == postback_id for p in current):
        raise errors.NotFound(f"campaign {campaign_id} has no postback {postback_id}")
    merged = [
        {**p, **changes, "id": postback_id} if p.get("id") == postback_id else p for p in current
    ]
    saved = _save(client, campaign_id, merged)
    return next((p for p in saved if p.get("id") == postback_id), merged[0])


def delete_postback(client: Keitaro, campaign_id: int, postback_id: int) -> list[dict[str, Any]]:
    current = list_postbacks(client, campaign_id)
    kept = [p for p in current if p.get("id") != postback_id]
    if len(kept) == len(current):
        raise errors.NotFound(f"campaign {campaign_id} has no postback {postback_id}")
    return _save(client, campaign_id, kept)


def _valid(data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return S2SPostback().load(dict(data))
    except ValidationError as exc:
        fields = field_errors.sentences(exc.messages, exc.data)
        raise errors.InvalidRequest(f"postback: {field_errors.summary(fields)}", fields) from None


def _save(
    client: Keitaro, campaign_id: int, postbacks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    campaign = client.campaigns.update(campaign_id, {"postbacks": postbacks})
    return list((campaign or {}).get("postbacks") or postbacks)


def fire_test_postback(
    tracker_url: str,
    postback_key: str,
    params: Mapping[str, Any],
    *,
    timeout: float = 10.0,
    verify_tls: bool = True,
    guard: Callable[[str], None] | None = None,
    session: requests.Session | None = None,
    deadline: float = outbound_http.DEFAULT_DEADLINE,
) -> dict[str, Any]:
    """GET ``{tracker}/{key}/postback?subid=...&status=...``, as a network would; what was
    sent (key masked) and what came back.

    ``session`` should be a pinned one checking the allow-list (``outbound_session``);
    the call, answer included, finishes within ``deadline`` seconds."""
    base = tracker_url.rstrip("/").removesuffix(API_PATH)
    given = {k: v for k, v in params.items() if v not in (None, "")}
    query = {"subid": f"pbhub-test-{secrets.token_hex(4)}", "status": "lead", **given}
    url = f"{base}/{postback_key}/postback?{urlencode(query)}"
    shown = url.replace(postback_key, mask(postback_key))
    http = session or outbound_http.outbound_session(None)
    try:
        with outbound_http.deadline(deadline):
            if guard is not None:
                guard(url)
            response = http.get(
                url,
                timeout=timeout,
                verify=verify_tls,
                headers={"User-Agent": USER_AGENT},
                allow_redirects=False,
            )
    except outbound_http.DeadlineExceeded:
        raise errors.Unavailable(
            f"the tracker at {base} gave no answer within {deadline:g} s"
        ) from None
    except (ssrf.Refused, ssrf.Unresolvable) as exc:
        raise guard_error(exc) from None
    except requests.RequestException as exc:
        raise errors.Unavailable(
            f"the tracker at {base} did not answer: {type(exc).__name__}"
        ) from None
    problem = None
    if 300 <= response.status_code < 400:
        problem = (
            f"the tracker redirects the postback URL to {response.headers.get('Location', '?')}"
            ": store that address as the connection's URL"
        )
    elif response.status_code >= 400:
        problem = f"the tracker answered {response.status_code} to the test postback"
    elif "html" in response.headers.get("Content-Type", ""):
        problem = (
            "the tracker answered with a web page, not its postback reply: check the "
            "connection's postback key and URL"
        )
    return {
        "request": {"url": shown, "method": "GET"},
        "ok": problem is None,
        "problem": problem,
        "status_code": response.status_code,
        "body": response.text[:500],
    }
