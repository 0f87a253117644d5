"""Leaves the server has not confirmed yet, retried until it answers.

Leaving ends a generation locally at once (nothing of it may run again), but the server's
side of it, the `PUT .../leave`, is an obligation that outlives the call: if the backend is
down or failing at that moment, the participant would otherwise stay in the meeting on the
server forever. Each pending leave is retried on the reconnect backoff schedule, and at once
when the backend is seen again (the device socket comes back online), until the server
answers 2xx, or 404 / 410 (that participant is gone anyway); another 4xx (the server
refuses for good) ends the retries with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from app.core.backoff import Backoff
from app.core.http import Http, HttpError

GONE = (404, 410)


class PendingLeaves:
    def __init__(
        self,
        http: Http,
        backoff: Backoff,
        on_done: Callable[[str, int], None],
        on_failed: Callable[[str, str], None],
    ) -> None:
        self._http = http
        self._backoff = Backoff(backoff.reset, backoff.maximum, backoff.factor)  # no cap
        self._on_done = on_done  # (participant url, attempts)
        self._on_failed = on_failed  # (participant url, message): first failure, final refusal
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._kick = asyncio.Event()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, url: str, body: dict[str, Any], first_error: str) -> None:
        """`url` (the leave URL) failed once with `first_error`: keep trying in the background."""
        if url in self._tasks:
            return
        self._on_failed(url, first_error)
        task = asyncio.get_running_loop().create_task(self._retry(url, body), name="pending-leave")
        self._tasks[url] = task
        task.add_done_callback(lambda t, u=url: self._forget(u, t))

    def kick(self) -> None:
        """The backend is reachable again: retry every pending leave now."""
        event, self._kick = self._kick, asyncio.Event()
        event.set()

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _forget(self, url: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(url) is task:
            del self._tasks[url]

    async def _retry(self, url: str, body: dict[str, Any]) -> None:
        attempt = 1
        while True:
            delay = self._backoff.delay(attempt + 1) or 0.0
            kicked = self._kick
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await kicked.wait()
            attempt += 1
            try:
                await self._http.call("leave", "PUT", url, body=body)
            except HttpError as exc:
                if exc.status in GONE:
                    self._on_done(url, attempt)
                    return
                if _final(exc.status):  # the server answered for good: retrying won't help
                    self._on_failed(url, f"{exc}; not retrying")
                    return
                continue
            self._on_done(url, attempt)
            return


def _final(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in (408, 429)


def worth_retrying(status: int | None) -> bool:
    """No answer, a server error, a timeout or throttling: the leave may succeed later."""
    return status not in GONE and not _final(status)
