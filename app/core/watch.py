"""Wait on the core's snapshots and events with a deadline (tests, the demo tour, scenarios).

No polling: every published snapshot or event wakes the waiters, which re-check their
condition. A timeout raises `WatchTimeout` naming what was awaited and the last snapshot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from app.core.events import CoreEvent, Hub, MeetingSnapshot

T = TypeVar("T")


class WatchTimeout(TimeoutError):
    def __init__(self, what: str, timeout: float, last: MeetingSnapshot | None) -> None:
        detail = ""
        if last is not None:
            states = ", ".join(f"{n.value}={c.state.value}" for n, c in last.channels.items())
            detail = f" (last: phase {last.badge}; {states})"
        super().__init__(f"not reached within {timeout:g} s: {what}{detail}")
        self.last = last


class Watch:
    """Records every event and the newest snapshot of one client's hub."""

    def __init__(self, hub: Hub, snapshot: MeetingSnapshot | None = None) -> None:
        self.events: list[CoreEvent] = []
        self.last: MeetingSnapshot | None = snapshot
        self._changed = asyncio.Event()
        self._unsubscribe = [hub.on_event(self._on_event), hub.on_snapshot(self._on_snapshot)]

    def close(self) -> None:
        """Stop listening (safe to call twice)."""
        unsubscribe, self._unsubscribe = self._unsubscribe, []
        for off in unsubscribe:
            off()

    def _on_event(self, event: CoreEvent) -> None:
        self.events.append(event)
        self._changed.set()

    def _on_snapshot(self, snapshot: MeetingSnapshot) -> None:
        self.last = snapshot
        self._changed.set()

    async def until(
        self, predicate: Callable[[MeetingSnapshot], T], timeout: float, what: str
    ) -> T:
        """Wait until predicate(snapshot) is truthy; return its value."""
        return await self._wait(
            lambda: predicate(self.last) if self.last is not None else None, timeout, what
        )

    async def event(
        self, predicate: Callable[[CoreEvent], bool], timeout: float, what: str, since: int = 0
    ) -> CoreEvent:
        """Wait for an event (at index >= since in `events`) matching predicate."""

        def found() -> CoreEvent | None:
            return next((e for e in self.events[since:] if predicate(e)), None)

        return await self._wait(found, timeout, what)

    async def count(
        self,
        predicate: Callable[[CoreEvent], bool],
        n: int,
        timeout: float,
        what: str,
        since: int = 0,
    ) -> list[CoreEvent]:
        """Wait until `n` events (from index `since`) match predicate; return them."""

        def found() -> list[CoreEvent] | None:
            hits = [e for e in self.events[since:] if predicate(e)]
            return hits if len(hits) >= n else None

        return await self._wait(found, timeout, what)

    def mark(self) -> int:
        """An index into `events`, to wait only for what happens after this point."""
        return len(self.events)

    async def _wait(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = check()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise WatchTimeout(what, timeout, self.last)
            self._changed.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            except TimeoutError:
                value = check()
                if value:
                    return value
                raise WatchTimeout(what, timeout, self.last) from None
