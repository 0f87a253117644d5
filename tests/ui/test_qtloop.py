"""The window's loop keeps the core's timing rules: a wait never ends early.

qasync's own loop uses Qt's coarse timers, which fire up to 5 % early (a 2 s wait after a
401 ended at 1.91 s in the window). These tests run on the loop the window uses.
"""

from __future__ import annotations

import asyncio
import time

import pytest


@pytest.mark.parametrize("delay", [0.2, 0.5])
async def test_asyncio_sleep_never_ends_early(delay: float) -> None:
    start = time.monotonic()
    await asyncio.sleep(delay)
    elapsed = time.monotonic() - start
    assert elapsed >= delay, f"woke {1000 * (delay - elapsed):.1f} ms early"
    assert elapsed < delay + 0.25  # and not held back either


async def test_call_at_fires_at_its_time() -> None:
    loop = asyncio.get_running_loop()
    fired = loop.create_future()
    when = loop.time() + 0.3
    loop.call_at(when, lambda: fired.set_result(loop.time()))
    at = await asyncio.wait_for(fired, 5)
    assert at >= when
