"""One client's ping schedule: no two of its sockets' pings in flight at once.

Each socket pings as the SDK does (socket-base.js `_ping`: at online, then pingInterval after
each pong), but its ping goes out through the client's coordinator, which holds it while
another socket of the same client has a ping in flight, and for `gap` after that one's pong.
Sockets that ping in lock-step would otherwise queue behind each other and each RTT would
measure the others (issue 14; PROTOCOL.md section 4 step 6).

The hold is bounded: a ping waits at most `hold_max`, and a ping in flight for longer than
`hold_max` (a half-open socket) no longer holds anyone. The pong timeout runs from the real
send, so a half-open socket's detection is late by at most `hold_max`.
"""

from __future__ import annotations

import asyncio
import contextlib


class PingCoordinator:
    """Shared by all `Connection`s of one client. Owners are any hashable (a Connection)."""

    def __init__(self, hold_max: float, gap: float) -> None:
        self.hold_max = hold_max
        self.gap = gap
        self._flights: dict[object, float] = {}  # owner -> loop time its ping went out
        self._last_done: tuple[object, float] | None = None  # (owner, when) of the last pong
        self._changed = asyncio.Event()

    def in_flight(self) -> int:
        return len(self._flights)

    def wait_needed(self, owner: object, now: float) -> float:
        """Seconds until `owner` may ping (<= 0: now); a release may end the wait sooner."""
        live = [
            sent + self.hold_max
            for other, sent in self._flights.items()
            if other is not owner and now < sent + self.hold_max
        ]
        if live:  # held until that pong, or until the ping is stale (a half-open socket)
            return max(live) - now
        if self._last_done is not None and self._last_done[0] is not owner:
            return self._last_done[1] + self.gap - now  # let the other's pong settle
        return 0.0

    async def acquire(self, owner: object) -> float:
        """Wait for `owner`'s turn (at most hold_max) and mark its ping in flight.
        Returns how long it was held (seconds). Check and claim have no await between them,
        so two held pings woken by one pong cannot both go."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + self.hold_max
        while True:
            now = loop.time()
            wait = self.wait_needed(owner, now)
            if wait <= 0 or now >= deadline:
                break
            event = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(wait, deadline - now)):
                    await event.wait()
        now = loop.time()
        self._flights[owner] = now
        return now - start

    def release(self, owner: object, answered: bool = True) -> None:
        """`owner`'s ping is over (pong, timeout, socket closed). Wakes the held ones."""
        if self._flights.pop(owner, None) is None:
            return
        if answered:
            self._last_done = (owner, asyncio.get_running_loop().time())
        self._changed.set()
        self._changed = asyncio.Event()  # the woken ones re-check; later waits need a new one
