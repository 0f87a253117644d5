"""Await a condition on the UI with a deadline, woken by the bridge's signals (scripts, tests).

Never a blocking Qt wait: under qasync the asyncio tasks that drive the state only run while
we yield to the loop, so we await an asyncio.Event that every snapshot/event sets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from app.ui.adapter import CoreBridge


class Waiter:
    def __init__(self, bridge: CoreBridge) -> None:
        self._changed = asyncio.Event()
        bridge.snapshot.connect(self._poke)
        bridge.event.connect(self._poke)

    def _poke(self, *_: Any) -> None:
        self._changed.set()

    async def until(
        self, pred: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
    ) -> Any:
        """Return pred()'s first truthy value; TimeoutError names `what` otherwise.

        Also re-checks every 50 ms: some text (countdowns, ages) changes on Qt timers, not
        on core callbacks.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = pred()
            if value:
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))
            except TimeoutError:
                pass
