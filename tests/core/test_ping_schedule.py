"""Ping schedule: the first ping at online (socket-base.js `_authorize` -> `_ping()`), the
next one pingInterval after each pong, and no two pings of one client's sockets in flight
at once (PingCoordinator; issue 14). Pure coordinator tests first, then real sockets over
loopback: a small websockets server, then the simulator with all three sockets online."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from websockets.asyncio.server import serve

from app.core.connection import Connection, Listener
from app.core.events import CoreEvent, EventKind
from app.core.ping_coordinator import PingCoordinator
from app.core.settings import TEST
from tests.scenarios.helpers import T, admitted_online, online

HOLD, GAP = 0.2, 0.01


async def _held(task: asyncio.Task[Any], within: float) -> bool:
    """Is `task` still waiting after `within` seconds? (a deadline, not a sync sleep)"""
    done, _ = await asyncio.wait({task}, timeout=within)
    return not done


# -- the coordinator alone (no sockets) --
async def test_a_lone_ping_goes_at_once() -> None:
    pc = PingCoordinator(HOLD, GAP)
    assert await pc.acquire("a") < 0.005
    assert pc.in_flight() == 1
    pc.release("a")
    assert await pc.acquire("a") < 0.005  # its own pong does not hold it


async def test_a_ping_is_held_while_another_is_in_flight_then_gap_after_its_pong() -> None:
    pc = PingCoordinator(HOLD, GAP)
    await pc.acquire("a")
    b = asyncio.get_running_loop().create_task(pc.acquire("b"))
    assert await _held(b, HOLD / 4)  # a's ping is in flight
    released = time.monotonic()
    pc.release("a")
    held = await asyncio.wait_for(b, HOLD)
    assert time.monotonic() - released >= GAP - 0.002  # the gap after a's pong
    assert HOLD / 4 <= held < HOLD
    assert pc.in_flight() == 1


async def test_one_pong_releases_one_held_ping_not_two() -> None:
    pc = PingCoordinator(HOLD, GAP)
    await pc.acquire("a")
    loop = asyncio.get_running_loop()
    b, c = loop.create_task(pc.acquire("b")), loop.create_task(pc.acquire("c"))
    assert await _held(b, 0.02) and not c.done()
    pc.release("a")
    done, pending = await asyncio.wait({b, c}, timeout=HOLD / 2, return_when="FIRST_COMPLETED")
    assert len(done) == 1 and pc.in_flight() == 1
    (first,) = done
    (second,) = pending
    assert await _held(second, 0.03)  # still held by the first one's ping
    pc.release("b" if first is b else "c")
    await asyncio.wait_for(second, HOLD)


async def test_the_hold_is_bounded_and_a_stale_ping_holds_nobody() -> None:
    # a half-open socket: its ping never gets a pong
    pc = PingCoordinator(HOLD, GAP)
    await pc.acquire("half-open")
    t0 = time.monotonic()
    held = await asyncio.wait_for(pc.acquire("b"), HOLD * 2)
    assert HOLD - 0.01 <= held and time.monotonic() - t0 < HOLD + 0.05
    pc.release("b")
    # the half-open socket's ping is stale now: c waits only for b's gap
    assert await asyncio.wait_for(pc.acquire("c"), HOLD) < GAP + 0.02


async def test_a_closed_socket_releases_without_a_pong() -> None:
    pc = PingCoordinator(HOLD, GAP)
    await pc.acquire("a")
    b = asyncio.get_running_loop().create_task(pc.acquire("b"))
    assert await _held(b, 0.02)
    pc.release("a", answered=False)  # closed: no pong to settle, no gap
    assert await asyncio.wait_for(b, HOLD) < HOLD / 2


# -- one socket over loopback: the SDK's rule --
INTERVAL = 0.3


async def _pings(count: int) -> list[float]:
    """Seconds from online to each ping the server receives."""
    got: list[float] = []
    online_at: list[float] = []
    done = asyncio.Event()

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.recv()  # authorization
        online_at.append(time.monotonic())
        await ws.send(json.dumps({"id": "b", "data": {"eventType": "mercury.buffer_state"}}))
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ping":
                got.append(time.monotonic() - online_at[0])
                await ws.send(json.dumps({"type": "pong", "id": frame["id"]}))
                if len(got) == count:
                    done.set()

    settings = TEST.with_(ping_interval=INTERVAL, pong_timeout=1.0)
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        conn = Connection(settings, "user", Listener())
        await conn.open(f"ws://127.0.0.1:{port}/x")
        runner = asyncio.get_running_loop().create_task(conn.run())
        async with asyncio.timeout(5):
            await done.wait()
        await conn.close(3050, "done (permanent)")
        await runner
    return got


async def test_first_ping_at_online_then_the_interval_after_each_pong() -> None:
    got = await _pings(3)
    assert got[0] < 0.1  # at online, not pingInterval later
    for a, b in itertools.pairwise(got):
        assert INTERVAL - 0.02 <= b - a < INTERVAL * 1.5


# -- three sockets of one client against the simulator --
async def test_three_sockets_of_one_client_never_have_two_pings_in_flight(
    sim, host, make_client
) -> None:
    settings = TEST.with_(ping_interval=0.05, pong_timeout=1.0)
    client, watch = make_client(settings)
    spans: dict[str, list[tuple[int, int]]] = {}

    def on_event(e: CoreEvent) -> None:
        if e.kind is EventKind.RTT:  # emitted at the pong: the span is (now - rtt, now)
            now = time.perf_counter_ns()
            spans.setdefault(e.channel, []).append((now - int(e.data["rtt_ms"] * 1e6), now))

    client.hub.on_event(on_event)
    pid = await admitted_online(client, watch, host, "pings", lobby=False, webinar=True)
    await host.practice_session("pings", True)
    await host.set_roles("pings", pid, ["PANELIST"])
    await watch.until(online("practice"), T, "practice online")
    spans.clear()  # from here on all three are online
    n = 30
    await watch.until(
        lambda s: all(len(spans.get(ch, [])) >= n for ch in ("device", "default", "practice")),
        T * 2,
        f"{n} pings on each socket",
    )
    every = sorted(sp for ch in ("device", "default", "practice") for sp in spans[ch])
    overlaps = [(a, b) for a, b in itertools.pairwise(every) if b[0] < a[1]]
    assert not overlaps, f"{len(overlaps)} of {len(every)} pings overlapped another"
