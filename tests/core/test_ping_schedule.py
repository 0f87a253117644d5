"""First ping at online (socket-base.js `_authorize` -> `_ping()`), then de-phased: the
second ping waits pingInterval * phase, later ones pingInterval (dcmon; SDK_DIFFERENCES.md).
Real sockets over loopback: a small websockets server plays the data channel."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.server import serve

from app.core.connection import Connection, Listener
from app.core.settings import TEST

INTERVAL = 0.3


async def _pings(phase: float, count: int) -> tuple[float, list[float]]:
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
        conn = Connection(settings, "user", Listener(), ping_phase=phase)
        await conn.open(f"ws://127.0.0.1:{port}/x")
        runner = asyncio.get_running_loop().create_task(conn.run())
        async with asyncio.timeout(5):
            await done.wait()
        await conn.close(3050, "done (permanent)")
        await runner
    return online_at[0], got


async def test_first_ping_at_online_then_the_phase_then_the_interval() -> None:
    _, got = await _pings(phase=1 / 3, count=3)
    assert got[0] < 0.1  # at online, not pingInterval later
    second = got[1] - got[0]
    assert INTERVAL / 3 - 0.02 <= second < INTERVAL * 2 / 3  # the phase, once
    third = got[2] - got[1]
    assert INTERVAL - 0.02 <= third < INTERVAL * 1.5  # then the SDK's interval


async def test_sockets_of_one_client_ping_out_of_step() -> None:
    # the defaults: device 1, default 1/3, practice 2/3 of pingInterval
    assert len(set(TEST.ping_phases)) == 3 and all(0 < p <= 1 for p in TEST.ping_phases)
    (_, a), (_, b) = await asyncio.gather(_pings(1.0, 3), _pings(1 / 3, 3))
    # opened together, their second pings are a third of an interval apart, not in step
    assert abs((a[1] - a[0]) - (b[1] - b[0])) >= INTERVAL / 2 - 0.05
