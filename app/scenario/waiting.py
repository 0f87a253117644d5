"""Waiting for a condition with a deadline, woken by whatever can change its answer.

- Core-only conditions: `Watch.until` re-checks on every snapshot and event.
- Simulator state, embedded: `Watch.until` and `Simulator.wait_for` race with the same
  check, so a change on either side (a registration counted, a snapshot published) wakes it.
- Simulator state behind `--server`: no change feed exists, so the state view is fetched
  again whenever the core publishes something, and every `poll_interval` seconds as a
  fallback (a server-side change the client never hears of, e.g. a keep-alive count).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from app.scenario.conditions import Condition, Outcome
from app.scenario.context import RunContext

POLL_INTERVAL = 0.25  # seconds; --server only
FETCH_GRACE = 2.0  # --server: a state fetch may finish this long after the deadline


class Waiter:
    def __init__(self, ctx: RunContext, poll_interval: float = POLL_INTERVAL) -> None:
        self.ctx = ctx
        self.poll_interval = poll_interval

    async def until(self, cond: Condition, timeout: float) -> Outcome:
        """The first passing outcome, or the last failing one once `timeout` has passed."""
        if cond.needs_sim and self.ctx.sim is None:
            return await self._remote(cond, timeout)
        passed: list[Outcome] = []

        def ok(*_: object) -> bool:
            outcome = cond.check()
            if outcome.ok:
                passed.append(outcome)
            return outcome.ok

        waiters: list[Coroutine[Any, Any, Any]] = [self.ctx.watch.until(ok, timeout, "expect")]
        if cond.needs_sim and self.ctx.sim is not None:
            waiters.append(self.ctx.sim.wait_for(ok, timeout))
        await _first_to_finish(waiters)
        return passed[0] if passed else cond.check()  # a last look once the deadline passed

    async def _remote(self, cond: Condition, timeout: float) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        outcome = Outcome(False, "simulator state not fetched yet")
        while True:
            remaining = deadline - loop.time()
            try:
                # at least one fetch, even for `within = 0` ("as of now")
                async with asyncio.timeout(max(remaining, FETCH_GRACE)):
                    await self.ctx.refresh(cond.sim_meetings)
            except TimeoutError:
                return Outcome(False, f"{outcome.actual} (state fetch still running at deadline)")
            outcome = cond.check()
            remaining = deadline - loop.time()
            if outcome.ok or remaining <= 0:
                return outcome
            await self._core_change(min(remaining, self.poll_interval))

    async def _core_change(self, timeout: float) -> None:
        watch = self.ctx.watch
        seen, count = watch.last, len(watch.events)
        with contextlib.suppress(TimeoutError):  # WatchTimeout is one: the fallback interval
            await watch.until(
                lambda s: s is not seen or len(watch.events) != count, timeout, "a change"
            )


async def _first_to_finish(coros: list[Coroutine[Any, Any, Any]]) -> None:
    """Run the waits side by side; return when one ends (a timeout is an ending too)."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            exc = task.exception()
            if exc is not None and not isinstance(exc, TimeoutError):
                raise exc
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(Exception, asyncio.CancelledError):  # raised above
                await task
