"""A campaign's S2S postbacks, which Keitaro keeps inside the campaign object: reading
one means reading the campaign, changing one means writing the campaign's list back.
Plus a test postback fired at the tracker's own postback URL.

Keitaro keeps only a postback's ``url``, ``method`` and ``statuses``. Users of the popular
no-code Keitaro node also pass a name, timeouts, retries, headers and more; Keitaro would
accept those and drop them, so a postback that "has" a five-second timeout would have
none. They are refused here, naming each, and the command line offers to make the hub's
own outbound postback of them instead (``--as-hub-outbound``).
"""

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

#: What Keitaro keeps of a campaign's S2S postback (besides its id and campaign).
KEITARO_FIELDS = ("url", "method", "statuses")
#: Fields of the no-code node's postbacks that Keitaro does not store, as typed (its
#: camel case too) -> the name the hub maps them by. ``sources`` is the hub's own word
#: for the filter ``campaigns`` cannot be.
HUB_FIELDS: dict[str, str] = {
    "name": "name",
    "status": "status",
    "trigger": "trigger",
    "lead_status": "lead_status",
    "leadStatus": "lead_status",
    "sale_status": "sale_status",
    "saleStatus": "sale_status",
    "rejected_status": "rejected_status",
    "rejectedStatus": "rejected_status",
    "registration_status": "registration_status",
    "registrationStatus": "registration_status",
    "deposit_status": "deposit_status",
    "depositStatus": "deposit_status",
    "key": "key",
    "currency": "currency",
    "timeout": "timeout",
    "retries": "retries",
    "retry_delay": "retry_delay",
    "retryDelay": "retry_delay",
    "campaigns": "campaigns",
    "sources": "sources",
    "countries": "countries",
    "headers": "headers",
    "params": "params",
}


def hub_fields(data: Any) -> list[str]:
    """The fields of ``data`` that Keitaro's postbacks do not store, as typed, in the
    order given."""
    if not isinstance(data, Mapping):
        return []
    return [name for name in data if name in HUB_FIELDS]


def and_list(names: list[str]) -> str:
    """``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def not_stored(operation: str, names: list[str]) -> errors.InvalidRequest:
    """The refusal of fields Keitaro would drop: which, what Keitaro keeps, and where
    they belong instead."""
    many = len(names) > 1
    verb = "are" if many else "is"
    pronoun = "they belong" if many else "it belongs"
    how = (
        "add --as-hub-outbound to create one, or see pbhub outbound create --help"
        if operation == "create"
        else "add --as-hub-outbound to change one (--id is then the hub's outbound "
        "postback), or see pbhub outbound update --help"
    )
    message = (
        f"postback {operation}: {and_list(names)} {verb} not stored by Keitaro's postbacks "
        f"(it keeps {and_list(list(KEITARO_FIELDS))}); {pronoun} to the hub's own outbound "
        f"postbacks: {how}"
    )
    where = "is not stored by Keitaro's postbacks; it belongs to the hub's outbound postbacks"
    return errors.InvalidRequest(message, field_errors.sentences({name: [where] for name in names}))


def list_postbacks(client: Keitaro, campaign_id: int) -> list[dict[str, Any]]:
    return list(client.campaigns.get(campaign_id).get("postbacks") or [])


def get_postback(client: Keitaro, campaign_id: int, postback_id: int) -> dict[str, Any]:
    for postback in list_postbacks(client, campaign_id):
        if postback.get("id") == postback_id:
            return postback
    raise errors.NotFound(f"campaign {campaign_id} has no postback {postback_id}")


def create_postback(client: Keitaro, campaign_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    new = _valid(data, "create")
    new.pop("id", None)
    current = list_postbacks(client, campaign_id)
    known = {p.get("id") for p in current}
    saved = _save(client, campaign_id, [*current, {**new, "campaign_id": campaign_id}])
    added = [p for p in saved if p.get("id") not in known]
    return added[-1] if added else {**new, "campaign_id": campaign_id}


def update_postback(
    client: Keitaro, campaign_id: int, postback_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    changes = _valid(data, "update")
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


def _valid(data: Mapping[str, Any], operation: str) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise errors.InvalidRequest(
            f"postback {operation}: --data must be a JSON object, such as "
            '{"url": "https://network.example.com/pb?cid={subid}", "statuses": ["sale"]}'
        )
    dropped = hub_fields(data)
    if dropped:
        raise not_stored(operation, dropped)
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
