"""2. Drop -> online + resubscribed: dcmon vs the floor's bare reconnect + subscribe (<= 1.2).

Both hold a default channel, online and subscribed, in their own meeting on the same
in-process simulator. Each repetition resets one side's socket through the simulator (the
proxy sends an RST: no close frame, the client sees 1006, a transient close whose first
retry goes at once) and times from just before that host call until the new socket's
subscription is confirmed. dcmon keeps its cached registration (the webSocketUrl stays
valid), exactly as the floor reuses its URL. dcmon runs the TEST profile; repetitions alternate.
Both ping at online (PROTOCOL.md section 4 step 6); the old floor, which did not (until
session 4), runs beside them and its ratio is printed for information.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from bench.common import USER_TOKEN, Budget, abba_with, clean_slate, median, ms, progress, summary
from bench.floor import FloorChannel, FloorClient, admitted, old_floor_row
from bench.report import Result, Row

NAME = "reconnect"
TITLE = "Drop (reset, 1006) -> online + resubscribed"
TARGET = 1.2


class DcmonSide:
    def __init__(self, sim: Any, host: Any, meeting: str, settings: Any) -> None:
        self.sim, self.host, self.meeting, self.settings = sim, host, meeting, settings
        self.waiter: asyncio.Future[int] | None = None
        self.closed_at: int | None = None

    async def start(self) -> None:
        from app.core.events import EventKind
        from app.core.meeting import MeetingClient
        from app.core.watch import Watch

        await self.host.create_meeting(self.meeting, lobby=False, webinar=True)
        self.client = MeetingClient(self.sim.base_url, USER_TOKEN, self.settings)
        watch = Watch(self.client.hub, self.client.snapshot)

        def on_event(e: Any) -> None:
            if e.channel != "default":
                return
            if e.kind is EventKind.CLOSED and self.closed_at is None:
                self.closed_at = time.perf_counter_ns()
            if (
                e.kind is EventKind.SUBSCRIBED
                and "transcription" in e.data.get("subscribed", ())
                and self.waiter is not None
                and not self.waiter.done()
            ):
                self.waiter.set_result(time.perf_counter_ns())

        self.client.hub.on_event(on_event)
        await self.client.join(self.meeting)
        try:
            await watch.until(
                lambda s: "transcription" in s.channel("default").confirmed, 10, "subscribed"
            )
        finally:
            watch.close()

    async def drop_once(self) -> tuple[int, int]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.closed_at = None
        clean_slate()
        t0 = time.perf_counter_ns()
        await self.host.socket(self.meeting, "default", "reset")
        t1 = await asyncio.wait_for(self.waiter, 10)
        return t1 - t0, (self.closed_at or t1) - t0

    async def stop(self) -> None:
        await self.client.close()


class FloorSide:
    def __init__(self, sim: Any, host: Any, meeting: str, first_ping: bool = True) -> None:
        self.sim, self.host, self.meeting = sim, host, meeting
        self.first_ping = first_ping  # False: the floor until session 4 (floor.py)
        self.waiter: asyncio.Future[int] | None = None
        self.closed_at: int | None = None

    async def start(self) -> None:
        await self.host.create_meeting(self.meeting, lobby=True, webinar=True)
        self.client = FloorClient(self.sim.base_url, USER_TOKEN, first_ping=self.first_ping)
        await self.client.register_device()
        await self.client.open_device_socket()
        await self.client.join(self.meeting)
        await self.host.admit(self.meeting)
        locus = await self.client.wait_locus(admitted)
        token = await self.client.fetch_token()
        ws_url = await self.client.register(locus["info"]["datachannelUrl"], token)
        self.channel = FloorChannel(self.client, locus["info"]["datachannelUrl"], ws_url)
        self.channel.on_subscribed.append(self._subscribed)
        self.channel.on_closed.append(self._closed)
        self.channel.start()
        await asyncio.wait_for(self.channel.online.wait(), 10)

    def _subscribed(self, stamp: int) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(stamp)

    def _closed(self, stamp: int) -> None:
        if self.closed_at is None:
            self.closed_at = stamp

    async def drop_once(self) -> tuple[int, int]:
        self.waiter = asyncio.get_running_loop().create_future()
        self.closed_at = None
        clean_slate()
        t0 = time.perf_counter_ns()
        await self.host.socket(self.meeting, "default", "reset")
        t1 = await asyncio.wait_for(self.waiter, 10)
        return t1 - t0, (self.closed_at or t1) - t0

    async def stop(self) -> None:
        await self.channel.stop()
        await self.client.leave()
        await self.client.close()


async def measure(budget: Budget) -> Result:
    from app.core.settings import TEST
    from app.sim import SimControl, Simulator

    reps = budget.pick(60, 15, 2)
    warmup = budget.pick(3, 2, 1)
    dcmon: list[float] = []
    floor: list[float] = []
    old_floor: list[float] = []  # without step 6's first ping: the floor until session 4
    d_seen: list[float] = []
    f_seen: list[float] = []
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        d = DcmonSide(sim, host, "rc-dcmon", TEST)
        f = FloorSide(sim, host, "rc-floor")
        o = FloorSide(sim, host, "rc-old-floor", first_ping=False)
        await d.start()
        await f.start()
        await o.start()
        try:
            for _ in range(warmup):
                for side in (d, f, o):
                    await side.drop_once()
            for i, order in abba_with(reps, d, f, o):
                for side in order:
                    await asyncio.sleep(0.02)  # let the previous drop's stragglers settle
                    total, seen = await side.drop_once()
                    if side is o:
                        old_floor.append(ms(total))
                        continue
                    (dcmon if side is d else floor).append(ms(total))
                    (d_seen if side is d else f_seen).append(ms(seen))
                if (i + 1) % 10 == 0 or i + 1 == reps:
                    progress(
                        f"reconnect: {i + 1}/{reps} pairs, median dcmon {median(dcmon):.2f} ms,"
                        f" floor {median(floor):.2f} ms"
                    )
        finally:
            with contextlib.suppress(Exception):
                await d.stop()
            with contextlib.suppress(Exception):
                await f.stop()
            with contextlib.suppress(Exception):
                await o.stop()
    r = median(dcmon) / median(floor)
    return Result(
        NAME,
        TITLE,
        [
            Row(
                NAME,
                f"median of {reps} (TEST profile)",
                median(dcmon),
                median(floor),
                target=f"ratio <= {TARGET}",
                met=r <= TARGET,
                ratio=r,
            ),
            Row(
                NAME,
                "  of which: drop noticed (info)",
                median(d_seen),
                median(f_seen),
                note="dcmon: its CLOSED event; floor: recv() raising",
            ),
            old_floor_row(NAME, dcmon, old_floor),
        ],
        {
            "dcmon_ms": summary(dcmon),
            "floor_ms": summary(floor),
            "floor_without_first_ping_ms": summary(old_floor),
            "dcmon_close_seen_ms": summary(d_seen),
            "floor_close_seen_ms": summary(f_seen),
            "raw_dcmon_ms": dcmon,
            "raw_floor_ms": floor,
            "raw_floor_without_first_ping_ms": old_floor,
        },
    )


def run(budget: Budget) -> Result:
    return asyncio.run(measure(budget))
