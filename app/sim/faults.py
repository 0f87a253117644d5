"""Endpoint faults: slow, failing (HTML 5xx, as a real proxy would answer) or hanging calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

log = logging.getLogger("app.sim.faults")

ENDPOINTS = (
    "join",
    "token",
    "register",
    "keepalive",
    "device",
    "leave",
    "controls",
    "meetinginfo",
    "loci",  # the locus GETs: the active list (SDK syncMeetings) and a resync
)
MODES = ("slow", "error", "hang", "body")  # body: answer `status` with a given raw body
DEFAULT_SLOW_MS = 2000
DEFAULT_RETRY_AFTER_503 = 1  # seconds: a 503 fault says when to come back unless told not to


@dataclass
class Fault:
    endpoint: str
    mode: str
    delay_ms: int | None = None
    status: int = 500
    remaining: int | None = None  # None: every call until cleared
    hits: int = 0
    body: str | None = None  # mode "body": the raw answer (malformed JSON, wrong shapes)
    retry_after: int | None = None  # seconds for a `Retry-After` header; None: none sent

    def view(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "mode": self.mode,
            "delayMs": self.delay_ms,
            "status": self.status,
            "remaining": self.remaining,
            "count": self.remaining,  # calls still faulted; None: every call until cleared
            "body": self.body,
            "hits": self.hits,
            "retryAfter": self.retry_after,
        }

    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


def html_error(status: int, headers: dict[str, str] | None = None) -> HTMLResponse:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = f"<html><body><h1>{status} {phrase}</h1></body></html>"
    return HTMLResponse(body, status_code=status, headers=headers)


class FaultBook:
    """At most one fault per endpoint; a new one replaces the old."""

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self._faults: dict[str, Fault] = {}
        self._on_change = on_change or (lambda: None)
        self.stopping = asyncio.Event()  # set on server stop: ends every hang and slow wait

    def set(self, fault: Fault) -> None:
        self._faults[fault.endpoint] = fault
        self._on_change()

    def clear(self) -> int:
        count = len(self._faults)
        self._faults.clear()
        self._on_change()
        return count

    def clear_one(self, endpoint: str) -> bool:
        """Clear one endpoint's fault; the others keep their calls left and hit counts."""
        gone = self._faults.pop(endpoint, None) is not None
        self._on_change()
        return gone

    def view(self) -> list[dict[str, Any]]:
        return [f.view() for f in self._faults.values()]

    def take(self, endpoint: str) -> Fault | None:
        """The fault that applies to this call, consuming one of its count."""
        fault = self._faults.get(endpoint)
        if fault is None:
            return None
        fault.hits += 1
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self._faults[endpoint]
        self._on_change()
        return fault

    async def _sleep(self, seconds: float, request: Request) -> str:
        """Sleep; "done" when the full delay passed, "stopping" when the server stops first,
        "gone" when the client went away first (its answer would reach nobody)."""
        gone = asyncio.ensure_future(_client_gone(request))
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            done, _ = await asyncio.wait({gone, stop}, timeout=seconds)
        finally:
            for task in (gone, stop):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if stop in done:
            return "stopping"
        return "gone" if gone in done else "done"

    async def _hang(self, request: Request) -> None:
        """Never answer: wait until the client goes away or the server stops."""

        gone = asyncio.ensure_future(_client_gone(request))
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait({gone, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not gone.done():
                # Stopping: the proxy is about to drop this connection. Answer nothing
                # before that, as a server that goes away would (bounded, just in case).
                await asyncio.wait({gone}, timeout=3)
        finally:
            for task in (gone, stop):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def run(
        self, endpoint: str, request: Request, handler: Callable[[], Awaitable[Response]]
    ) -> Response:
        """Answer a call through its fault, if any; `handler` computes the honest answer."""
        fault = self.take(endpoint)
        if fault is None:
            return await handler()
        log.info("fault on %s: %s (%s)", endpoint, fault.mode, request.url.path)
        if fault.mode == "hang":
            await self._hang(request)
            return _nobody_listening()
        if fault.mode == "body":
            return Response(
                fault.body or "", fault.status, fault.headers(), media_type="application/json"
            )
        if fault.mode == "error":
            slept = await self._sleep(fault.delay_ms / 1000, request) if fault.delay_ms else "done"
            if slept == "stopping":
                await self._hang(request)  # the server stopped meanwhile: no answer
            if slept != "done":
                return _nobody_listening()
            return html_error(fault.status, fault.headers())
        # slow: the server does the work at once and the answer arrives late, so a late
        # token is a real token (SCENARIOS.md A3, P2).
        failure: Exception | None = None
        try:
            response = await handler()
        except Exception as exc:  # error answers are late too
            failure = exc
        delay = fault.delay_ms if fault.delay_ms is not None else DEFAULT_SLOW_MS
        slept = await self._sleep(delay / 1000, request)
        if slept == "stopping":
            await self._hang(request)  # the server stopped meanwhile: no answer
        if slept != "done":
            return _nobody_listening()
        if failure is not None:
            raise failure
        return response


async def _client_gone(request: Request) -> None:
    """Return once the client has disconnected (reads and drops any unread body)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _nobody_listening() -> Response:
    """The answer to a request whose client went away (or a server going down): unread."""
    response = Response(status_code=503)
    response.abandoned = True  # type: ignore[attr-defined]
    return response


def abandoned(response: Response) -> bool:
    return bool(getattr(response, "abandoned", False))
