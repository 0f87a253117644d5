"""Thin HTTP I/O for the core: timed JSON calls, readable errors, never a secret in a message."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.core.redact import redact_text
from app.core.transport import (
    InsecureTransportError,
    TransportPolicy,
    describe_resolution_error,
    describe_tls_error,
)


class HttpError(Exception):
    """A call that failed; `status` is None when no HTTP answer came (refused, timeout)."""

    def __init__(self, what: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{what}: {message}")
        self.what = what
        self.status = status
        self.retry_after: str | None = None  # the answer's Retry-After header, if any


@dataclass(frozen=True)
class HttpResult:
    status: int
    body: Any  # parsed JSON, or None
    ms: float


Timing = Callable[[str, str, int | None, float, str | None], None]  # what, url, status, ms, error
Retrying = Callable[[str, int, float, str], None]  # what, status, delay s, why that delay

RETRY_STATUSES = (503, 429)  # SDK: LocusRetryStatusInterceptor, on URLs containing "locus"


def retry_after(value: str | None, default: float, cap: float) -> tuple[float, str]:
    """Seconds to wait from a Retry-After header (delta-seconds), else `default`."""
    if value is not None:
        try:
            seconds = float(value.strip())
        except ValueError:
            return default, f"unreadable Retry-After {value[:40]!r}: default"
        if seconds >= 0:
            return min(seconds, cap), "Retry-After"
    return default, "no Retry-After: default"


def check_url(url: str) -> str:
    """Raise ValueError with a readable message unless `url` is an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url.rstrip("/")


def make_client(timeout: float, verify: bool | str | ssl.SSLContext = True) -> httpx.AsyncClient:
    # trust_env=False: a broken SSL_CERT_FILE or a proxy variable must not break loopback calls
    if isinstance(verify, str):  # a CA file
        verify = TransportPolicy(ca_file=verify).ssl_context()
    return httpx.AsyncClient(timeout=timeout, trust_env=False, verify=verify)


class Http:
    def __init__(
        self,
        client: httpx.AsyncClient,
        user_token: str,
        on_timing: Timing,
        policy: TransportPolicy | None = None,
        retry_delay: float = 2.0,
        retry_max: float = 60.0,
        on_retry: Retrying | None = None,
    ) -> None:
        self._client = client
        self._auth = {"Authorization": f"Bearer {user_token}"}
        self._on_timing = on_timing
        self._policy = policy or TransportPolicy()
        self._retry_delay = retry_delay
        self._retry_max = retry_max
        self._on_retry = on_retry or (lambda what, status, delay, why: None)

    def set_user_token(self, user_token: str) -> None:
        """After a credentials refresh (handshake 4401)."""
        self._auth = {"Authorization": f"Bearer {user_token}"}

    def __repr__(self) -> str:  # the default would be harmless; this one stays harmless
        return f"Http({self._policy!r})"

    async def call(
        self,
        what: str,
        method: str,
        url: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
        timeout: float | None = None,
    ) -> HttpResult:
        """One request. Statuses in `ok` return; others raise HttpError (after timing).

        503 / 429 from a URL containing "locus" is re-sent once, after the answer's
        Retry-After (seconds) or the default delay (PROTOCOL.md s. 3)."""
        try:
            return await self._call(what, method, url, body, headers, ok, timeout)
        except HttpError as exc:
            if exc.status not in RETRY_STATUSES or "locus" not in url:
                raise
            delay, why = retry_after(exc.retry_after, self._retry_delay, self._retry_max)
            self._on_retry(what, exc.status, delay, why)
        await asyncio.sleep(delay)  # the server's (or the protocol's) wait, not a guess
        return await self._call(what, method, url, body, headers, ok, timeout)

    async def _call(
        self,
        what: str,
        method: str,
        url: str,
        body: Any,
        headers: dict[str, str] | None,
        ok: tuple[int, ...],
        timeout: float | None,
    ) -> HttpResult:
        try:
            self._policy.check(url)  # before any connection: nothing leaves in plain text
        except InsecureTransportError as exc:
            self._on_timing(what, url, None, 0.0, "refused: insecure")
            raise HttpError(what, str(exc)) from None
        except ValueError:  # URLs come from the server too (locus): a broken one is an error
            self._on_timing(what, url, None, 0.0, "not a valid URL")
            raise HttpError(what, f"not a valid URL: {url[:100]!r}") from None
        started = time.perf_counter()
        kwargs: dict[str, Any] = {"headers": {**self._auth, **(headers or {})}}
        if body is not None:
            kwargs["json"] = body
        if timeout is not None:
            kwargs["timeout"] = timeout
        try:
            response = await self._client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            ms = _ms(started)
            self._on_timing(what, url, None, ms, "timed out")
            raise HttpError(what, f"no answer within {ms / 1000:.1f} s (timed out)") from None
        except httpx.HTTPError as exc:
            ms = _ms(started)
            reason = _network_reason(exc, url)
            self._on_timing(what, url, None, ms, reason)
            raise HttpError(what, reason) from None
        except (httpx.InvalidURL, ValueError) as exc:  # e.g. a bad port or host in the URL
            self._on_timing(what, url, None, _ms(started), "not a valid URL")
            raise HttpError(what, f"not a valid URL: {str(exc)[:100]}") from None
        ms = _ms(started)
        parsed = _json_or_none(response)
        self._on_timing(what, url, response.status_code, ms, None)
        if response.status_code not in ok:
            error = HttpError(what, _describe_failure(response, parsed), response.status_code)
            error.retry_after = response.headers.get("retry-after")
            raise error
        return HttpResult(response.status_code, parsed, ms)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to be an answer
        return None


def _describe_failure(response: httpx.Response, parsed: Any) -> str:
    text = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    if isinstance(parsed, dict):
        message = parsed.get("message") or parsed.get("error")
        if isinstance(message, str):  # the server's words: a token it echoes is masked
            return f"{text}: {redact_text(message[:200])}"
    ctype = response.headers.get("content-type", "").split(";")[0] or "no content type"
    if response.content:
        return f"{text} ({ctype} body, {len(response.content)} bytes)"
    return text


def _network_reason(exc: httpx.HTTPError, url: str) -> str:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        host = None
    known = describe_tls_error(exc) or describe_resolution_error(exc, host)
    if known:
        return known
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect (server down or unreachable)"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "not an http(s) URL"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "connection broken by the server"
    return f"{type(exc).__name__}"
