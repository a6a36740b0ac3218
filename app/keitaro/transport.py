"""HTTP to Keitaro's Admin API: authentication, retries, and error translation.

Retries (connection errors, timeouts, 429, 502, 503, 504) happen only for idempotent
calls: a create that timed out may have been made, and repeating it would make two.
Keitaro sits behind Cloudflare often enough that a library's default User-Agent is
refused, so ours is explicit; self-hosted trackers often have self-made certificates, so
TLS verification can be turned off per client.

One call, every attempt and backoff included, finishes within the total deadline
(``PBHUB_OUTBOUND_DEADLINE``): a retry is made only while time remains, so a tracker
that hangs costs the caller about the deadline, not attempts x timeout. The session is
a pinned one (``app.outbound.http``): it connects to the address it checked.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from app.core.keys import mask
from app.keitaro import errors
from app.outbound import http as outbound_http
from app.outbound import ssrf

API_PATH = "/admin_api/v1"
RETRIED_STATUSES = (429, 502, 503, 504)
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
USER_AGENT = "PostbackHub/1.0 (Keitaro Admin API client)"
MAX_EXCERPT = 300
#: A retry is only worth making when at least this long remains after its backoff.
MIN_ATTEMPT_SECONDS = 0.5


def guard_error(exc: ssrf.Refused | ssrf.Unresolvable) -> errors.KeitaroError:
    """The Keitaro error for a tracker URL the SSRF guard stopped, whether the guard's
    own check or the pinned session's (on the resolution it connects with) found it."""
    if isinstance(exc, ssrf.Refused):
        return errors.KeitaroError(
            f"refused to call the tracker: {exc} (allow it with {ssrf.SETTING})"
        )
    return errors.Unavailable(f"the tracker's host does not resolve: {exc}")


def api_base(url: str) -> str:
    """The Admin API's base, from the tracker's URL with or without ``/admin_api/v1``."""
    base = url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ValueError("the Keitaro URL must start with http:// or https://")
    return base if base.endswith(API_PATH) else base + API_PATH


class Transport:
    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        verify_tls: bool = True,
        user_agent: str = USER_AGENT,
        retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        guard: Callable[[str], None] | None = None,
        deadline: float = outbound_http.DEFAULT_DEADLINE,
    ) -> None:
        self.base = api_base(url)
        self._key = api_key
        #: Per attempt (connect, and each read); ``deadline`` bounds the whole call.
        self.timeout = timeout
        self.deadline = deadline
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        #: Checks each URL before it is called (the SSRF guard: a tracker's name may
        #: resolve to a private address after it was saved).
        self._guard = guard
        #: Pass ``outbound_session(allowed)`` to have every call checked against the
        #: allow-list; the default pins without checking (still one resolution, the
        #: deadline and no proxy).
        self.session = session or outbound_http.outbound_session(None)
        self.session.verify = verify_tls
        self.session.headers.update({"Api-Key": api_key, "User-Agent": user_agent})
        self.last_request: dict[str, Any] | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        raw: bool = False,
    ) -> Any:
        """The decoded JSON answer (``None`` for an empty one), or the body's bytes with
        ``raw`` (file downloads); raises a KeitaroError."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = f"{self.base}/{path.lstrip('/')}"
        attempts = self.retries + 1 if idempotent else 1
        self._remember(
            self.session.prepare_request(requests.Request(method, url, params=params, json=body))
        )
        try:
            with outbound_http.deadline(self.deadline) as limit:
                if self._guard is not None:
                    self._guard(url)
                return self._attempts(method, url, params, body, attempts, raw, limit)
        except outbound_http.DeadlineExceeded:
            raise errors.Unavailable(
                f"Keitaro at {self.base} gave no answer within {self.deadline:g} s"
            ) from None
        except (ssrf.Refused, ssrf.Unresolvable) as exc:
            # The session's own check, on the resolution it connects with.
            raise guard_error(exc) from None

    def _attempts(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        body: Any,
        attempts: int,
        raw: bool,
        limit: outbound_http.Deadline,
    ) -> Any:
        for attempt in range(1, attempts + 1):
            try:
                # Never follow a redirect: requests would carry the Api-Key header to
                # wherever it points, and turn a POST report into a GET.
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=body,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except outbound_http.DeadlineExceeded:
                raise
            except (requests.ConnectionError, requests.Timeout) as exc:
                if limit.expired:
                    raise limit.exceeded() from None
                if attempt == attempts:
                    raise errors.Unavailable(
                        f"Keitaro at {self.base} did not answer: {type(exc).__name__}"
                    ) from None
                if not self._wait(attempt, None, limit):
                    raise limit.exceeded() from None
                continue
            if (
                response.status_code in RETRIED_STATUSES
                and attempt < attempts
                and self._wait(attempt, response.headers.get("Retry-After"), limit)
            ):
                continue
            return self._decode(response, raw)
        raise AssertionError("unreachable")

    def _remember(self, prepared: requests.PreparedRequest) -> None:
        """What was sent, key masked, for callers that show their work (the CLI)."""
        self.last_request = {
            "url": _masked_query(prepared.url or ""),
            "method": prepared.method,
            "headers": {
                name: mask(value) if name.lower() == "api-key" else value
                for name, value in prepared.headers.items()
            },
        }

    def _wait(self, attempt: int, retry_after: str | None, limit: outbound_http.Deadline) -> bool:
        """Back off before the next attempt, if the deadline leaves time for one after
        the wait; whether it does."""
        delay = self.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 60.0))
        if delay + MIN_ATTEMPT_SECONDS > limit.remaining():
            return False
        self._sleep(delay)
        return True

    def _decode(self, response: requests.Response, raw: bool) -> Any:
        status = response.status_code
        if 300 <= status < 400:
            target = response.headers.get("Location", "?")
            raise errors.KeitaroError(
                f"Keitaro at {self.base} redirects to {target}: store that address as the "
                "tracker's URL (redirects are not followed, so the API key stays here)",
                status,
            )
        if raw and 200 <= status < 300 and "html" not in response.headers.get("Content-Type", ""):
            return response.content
        text = response.text or ""
        if 200 <= status < 300:
            content_type = response.headers.get("Content-Type", "")
            if "html" in content_type or text.lstrip()[:15].lower().startswith(
                ("<!doctype", "<html")
            ):
                raise errors.NotAnAdminApi(
                    f"{self.base} answered with a web page: this URL is not a Keitaro Admin API "
                    "(check the tracker's address; the API lives under /admin_api/v1)",
                    status,
                    text[:MAX_EXCERPT],
                )
            if not text.strip():
                return None
            try:
                return response.json()
            except ValueError:
                raise errors.KeitaroError(
                    "Keitaro answered with something that is not JSON", status, text[:MAX_EXCERPT]
                ) from None
        raise self._error(status, text)

    def _error(self, status: int, text: str) -> errors.KeitaroError:
        excerpt = text[:MAX_EXCERPT].replace(self._key, mask(self._key)) if self._key else text
        detail = _message(text) or excerpt.strip()
        if status == 401:
            return errors.Unauthorized(
                f"Keitaro refused the API key {mask(self._key)}: check it in Maintenance > Users",
                status,
                excerpt,
            )
        if status == 402:
            return errors.LicenceRequired(
                "this Keitaro licence does not include the Admin API", status, excerpt
            )
        if status == 403:
            return errors.Forbidden(
                f"the API key's user may not do this: {detail}", status, excerpt
            )
        if status == 404:
            return errors.NotFound(
                f"Keitaro: not found ({detail or 'no details'})", status, excerpt
            )
        if status in (406, 422):
            fields = _fields(text)
            summary = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()) or detail
            return errors.FieldErrors(
                f"Keitaro refused the fields: {summary}", fields, status, excerpt
            )
        if status >= 500:
            return errors.Unavailable(f"Keitaro failed ({status}): {detail}", status, excerpt)
        return errors.KeitaroError(f"Keitaro answered {status}: {detail}", status, excerpt)


#: Query parameters that carry secrets (the AVScan key is set through the query string).
SECRET_PARAMS = ("avscan_key",)


def _masked_query(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [
        (name, mask(value) if name in SECRET_PARAMS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs)))


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _message(text: str) -> str:
    data = _json(text)
    if isinstance(data, dict):
        for key in ("error", "message", "errors"):
            if isinstance(data.get(key), str):
                return data[key]
    return ""


def _fields(text: str) -> dict[str, list[str]]:
    """``{"alias": ["..."]}`` or ``{"errors": {...}}`` as field -> messages."""
    data = _json(text)
    if isinstance(data, dict) and isinstance(data.get("errors"), dict):
        data = data["errors"]
    if not isinstance(data, dict):
        return {}
    fields: dict[str, list[str]] = {}
    for name, value in data.items():
        if isinstance(value, list):
            fields[str(name)] = [str(v) for v in value]
        elif isinstance(value, str) and name not in ("error", "message"):
            fields[str(name)] = [value]
    return fields
