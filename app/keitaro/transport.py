"""HTTP to Keitaro's Admin API: authentication, retries, and error translation.

Retries (connection errors, timeouts, 429, 502, 503, 504) happen only for idempotent
calls: a create that timed out may have been made, and repeating it would make two.
Keitaro sits behind Cloudflare often enough that a library's default User-Agent is
refused, so ours is explicit; self-hosted trackers often have self-made certificates, so
TLS verification can be turned off per client.

One call, every attempt and backoff included, finishes within the total deadline
(``PBHUB_OUTBOUND_DEADLINE``): a retry is made only while time remains, so a tracker
that hangs costs the caller about the deadline, not attempts x timeout. An operation
(a command, a sync run, an API request: whatever one client serves) makes several calls,
so the calls of one client also share a :class:`Budget`: a tracker that stalled once is
not called again, and retries stop once the operation has lost its share of time to
failures, so a slow tracker costs an operation about the deadline, not calls x deadline.
The session is a pinned one (``app.outbound.http``): it connects to the address it
checked.
"""

from __future__ import annotations

import json
import random
import threading
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
#: An operation may lose this many deadlines' worth of time to a failing tracker.
BUDGET_DEADLINES = 2.0


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


class Budget:
    """What one operation may lose to a failing tracker, over all of its calls.

    Each call ends within its deadline, but an operation makes several (a list's pages,
    the catalogue's four lists, a refresh and then an import), so on its own a tracker
    that stalls would cost calls x deadline, and one that fails calls x retries. What
    counts is what failing cost: the time of failed attempts and of the waits between
    them, and the retries. An answer costs nothing, however long it took, so a long
    import from a slow but working tracker is never cut short.

    * An attempt that timed out is not retried, and the operation makes no further call:
      a tracker that stalled once most likely stalls again, and every try costs a
      deadline.
    * Once ``seconds`` are lost, no further call is made either.
    * Once ``retries`` are spent, each further call gets one attempt.

    Thread-safe, though an operation's calls are usually made one after another.
    """

    def __init__(self, seconds: float, retries: int, scope: str = "this operation") -> None:
        self.seconds = seconds
        self.retries = retries
        #: Named in the sentence that gives up ("the retry budget for this operation").
        self.scope = scope
        self.lost = 0.0
        self.retried = 0
        self.failed_attempts = 0
        self.timed_out = False
        #: The last failure, as said after "Keitaro at URL" ("answered 503").
        self.last_failure = ""
        self._lock = threading.Lock()

    @property
    def spent(self) -> bool:
        """Whether further calls are refused without being made."""
        return self.timed_out or (self.failed_attempts > 0 and self.lost >= self.seconds)

    def allows(self, delay: float) -> bool:
        """Whether a retry after waiting ``delay`` fits: a retry is left, and time for
        the wait and a useful attempt after it."""
        return (
            self.retried < self.retries and self.lost + delay + MIN_ATTEMPT_SECONDS <= self.seconds
        )

    def failed(self, seconds: float, failure: str, *, timed_out: bool = False) -> None:
        with self._lock:
            self.lost += max(seconds, 0.0)
            self.failed_attempts += 1
            self.timed_out = self.timed_out or timed_out
            self.last_failure = failure

    def waited(self, seconds: float) -> None:
        with self._lock:
            self.lost += seconds
            self.retried += 1

    def gave_up(self) -> str:
        """The end of the sentence of a call the budget stopped."""
        attempts = self.failed_attempts
        return (
            f"gave up after {attempts} failed attempt{'' if attempts == 1 else 's'} in "
            f"{round(self.lost, 1):g} s (the retry budget for {self.scope})"
        )


class _Account:
    """One call's account with the budget: when an attempt fails, everything since the
    call began or last waited (the guard's DNS included) was lost to the tracker."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.mark = time.monotonic()

    def failed(self, failure: str, *, timed_out: bool = False) -> None:
        now = time.monotonic()
        self.budget.failed(now - self.mark, failure, timed_out=timed_out)
        self.mark = now

    def waited(self, seconds: float) -> None:
        self.budget.waited(seconds)
        self.mark = time.monotonic()


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
        budget: Budget | None = None,
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
        #: Shared by every call of this client: the CLI makes one client per command, a
        #: sync job one per run and the API one per request, so each operation starts
        #: with a whole budget (twice the deadline, and as many retries as one call may
        #: make). Pass one to share it between clients.
        self.budget = budget or Budget(BUDGET_DEADLINES * deadline, retries)

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
        budget = self.budget
        if budget.spent:
            raise errors.Unavailable(
                f"Keitaro at {self.base} {budget.last_failure}; {budget.gave_up()}"
            )
        account = _Account(budget)
        try:
            with outbound_http.deadline(self.deadline) as limit:
                if self._guard is not None:
                    self._guard(url)
                return self._attempts(method, url, params, body, attempts, raw, limit, account)
        except outbound_http.DeadlineExceeded:
            failure = f"gave no answer within {self.deadline:g} s"
            account.failed(failure, timed_out=True)
            raise errors.Unavailable(f"Keitaro at {self.base} {failure}") from None
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
        account: _Account,
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
            except requests.Timeout as exc:
                if limit.expired:
                    raise limit.exceeded() from None
                # Not retried: the next attempt would most likely wait as long.
                failure = (
                    f"accepted no connection within {self.timeout:g} s"
                    if isinstance(exc, requests.ConnectTimeout)
                    else f"gave no answer within {self.timeout:g} s"
                )
                account.failed(failure, timed_out=True)
                raise errors.Unavailable(f"Keitaro at {self.base} {failure}") from None
            except requests.ConnectionError as exc:
                if limit.expired:
                    raise limit.exceeded() from None
                failure = f"did not answer: {type(exc).__name__}"
                account.failed(failure)
                stopped = self._retry(attempt, attempts, None, limit, account)
                if stopped is None:
                    continue
                raise errors.Unavailable(f"Keitaro at {self.base} {failure}{stopped}") from None
            if response.status_code in RETRIED_STATUSES:
                account.failed(f"answered {response.status_code}")
                retry_after = response.headers.get("Retry-After")
                stopped = self._retry(attempt, attempts, retry_after, limit, account)
                if stopped is None:
                    continue
                if stopped:
                    error = self._error(response.status_code, response.text or "")
                    raise type(error)(error.message + stopped, error.status, error.body)
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

    def _retry(
        self,
        attempt: int,
        attempts: int,
        retry_after: str | None,
        limit: outbound_http.Deadline,
        account: _Account,
    ) -> str | None:
        """Back off before the next attempt, if the call has one left and both its
        deadline and the operation's budget leave time for it after the wait
        (``Retry-After`` is honoured only within them). None once waited; otherwise
        what to add to the error: nothing when the call's own limits stopped it, the
        budget's account when the budget did."""
        if attempt >= attempts:
            return ""
        delay = self.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 60.0))
        if delay + MIN_ATTEMPT_SECONDS > limit.remaining():
            return ""
        if not account.budget.allows(delay):
            return f"; {account.budget.gave_up()}"
        self._sleep(delay)
        account.waited(delay)
        return None

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
