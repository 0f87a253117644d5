"""1. Admit -> default channel online + subscribed: dcmon core vs the bare floor (target <= 1.15).

Both start from the same state, against the same in-process simulator: device registered,
device socket online, joined, waiting in the lobby of a fresh meeting. The clock starts just
before the host's admit call (SimControl) and stops when the subscription response for
`transcription` arrives on the default channel (dcmon: its SUBSCRIBED event, stamped in a hub
listener; the floor: right after it reads the response frame). dcmon runs the TEST profile.
Repetitions alternate A B, B A, ... so drift on a shared machine hits both sides alike.

The floor pings at online (PROTOCOL.md section 4 step 6), as dcmon does. Until session 4 it
did not; that old floor runs in every round too, before or after the pair, and its ratio is
printed for information (so a reader can compare with tables from before the change).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from bench.common import (
    USER_TOKEN,
    Budget,
    abba_with,
    clean_slate,
    median,
    ms,
    paired_ratio,
    progress,
    summary,
)
from bench.floor import FloorClient, Stamps, admit_to_subscribed, old_floor_row
from bench.report import Result, Row

NAME = "admit"
TITLE = "Admit -> default online + subscribed"
TARGET = 1.15


async def dcmon_once(sim: Any, host: Any, meeting: str, settings: Any) -> tuple[int, dict]:
    from app.core.events import EventKind
    from app.core.meeting import MeetingClient
    from app.core.watch import Watch

    await host.create_meeting(meeting, lobby=True, webinar=True)
    client = MeetingClient(sim.base_url, USER_TOKEN, settings, display_name="bench")
    watch = Watch(client.hub, client.snapshot)
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = loop.create_future()
    stamps: dict[str, int] = {}

    def on_event(e: Any) -> None:
        now = time.perf_counter_ns()
        if e.kind is EventKind.ADMITTED:
            stamps.setdefault("admitted", now)
        elif e.kind is EventKind.TOKEN and e.data.get("source") and "default" in e.summary:
            stamps.setdefault("token", now)
        elif e.kind is EventKind.HTTP and e.data.get("what") == "register":
            stamps.setdefault("registered", now)
        elif e.kind is EventKind.ONLINE and e.channel == "default":
            stamps.setdefault("online", now)
        elif e.kind is EventKind.HTTP and e.data.get("what") == "captions":
            stamps.setdefault("captions", now)
        elif (
            e.kind is EventKind.SUBSCRIBED
            and e.channel == "default"
            and "transcription" in e.data.get("subscribed", ())
            and not done.done()
        ):
            stamps["subscribed"] = now
            done.set_result(now)

    off = client.hub.on_event(on_event)
    try:
        await client.join(meeting)
        await watch.until(lambda s: s.badge == "Lobby", 10, "in the lobby")
        watch.close()  # the bench's waiting helper: not dcmon, so not in the timed window
        clean_slate()
        t0 = time.perf_counter_ns()
        await host.admit(meeting)
        t1 = await asyncio.wait_for(done, 10)
        return t1 - t0, {k: v - t0 for k, v in stamps.items()}
    finally:
        off()
        watch.close()
        await client.close()
        with contextlib.suppress(Exception):
            await host.end_meeting(meeting)


async def floor_once(
    sim: Any, host: Any, meeting: str, first_ping: bool = True
) -> tuple[int, dict]:
    await host.create_meeting(meeting, lobby=True, webinar=True)
    client = FloorClient(sim.base_url, USER_TOKEN, first_ping=first_ping)
    sock = None
    try:
        await client.register_device()
        await client.open_device_socket()
        await client.join(meeting)
        stamps = Stamps()
        clean_slate()
        t0 = time.perf_counter_ns()
        await host.admit(meeting)
        sock = await admit_to_subscribed(client, stamps)
        t1 = stamps.marks["subscribed"]
        return t1 - t0, {k: v - t0 for k, v in stamps.marks.items()}
    finally:
        if sock is not None:
            with contextlib.suppress(Exception):
                await sock.ws.close(3050, "done (permanent)")
        await client.leave()
        await client.close()
        with contextlib.suppress(Exception):
            await host.end_meeting(meeting)


async def measure(budget: Budget) -> Result:
    from app.core.settings import TEST
    from app.sim import SimControl, Simulator

    reps = budget.pick(60, 10, 2)  # the median of 30 moved by +-0.1x between runs
    warmup = budget.pick(3, 2, 1)
    dcmon: list[float] = []
    floor: list[float] = []
    old_floor: list[float] = []  # without step 6's first ping: the floor until session 4
    d_steps: list[dict] = []
    f_steps: list[dict] = []
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        for i in range(warmup):
            await dcmon_once(sim, host, f"adm-warm-d{i}", TEST)
            await floor_once(sim, host, f"adm-warm-f{i}")
            await floor_once(sim, host, f"adm-warm-o{i}", first_ping=False)
        for i, order in abba_with(reps, "d", "f", "o"):
            for side in order:
                if side == "d":
                    ns, steps = await dcmon_once(sim, host, f"adm-d{i}", TEST)
                    dcmon.append(ms(ns))
                    d_steps.append(steps)
                elif side == "f":
                    ns, steps = await floor_once(sim, host, f"adm-f{i}")
                    floor.append(ms(ns))
                    f_steps.append(steps)
                else:
                    ns, _ = await floor_once(sim, host, f"adm-o{i}", first_ping=False)
                    old_floor.append(ms(ns))
            if (i + 1) % 10 == 0 or i + 1 == reps:
                progress(
                    f"admit: {i + 1}/{reps} rounds, median dcmon {median(dcmon):.2f} ms, "
                    f"floor {median(floor):.2f} ms (without the first ping "
                    f"{median(old_floor):.2f} ms)"
                )
    r = median(dcmon) / median(floor)

    def breakdown(steps: list[dict]) -> dict[str, float]:
        keys = ("admitted", "token", "registered", "online", "captions", "subscribed")
        return {k: median([ms(s[k]) for s in steps if k in s]) for k in keys}

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
                "  median of the per-pair ratios (info)",
                paired_ratio(dcmon, floor),
                unit="x",
                note="each pair ran back to back: a second reading of the same run",
            ),
            old_floor_row(NAME, dcmon, old_floor),
        ],
        {
            "dcmon_ms": summary(dcmon),
            "floor_ms": summary(floor),
            "floor_without_first_ping_ms": summary(old_floor),
            "dcmon_steps_ms_since_admit_call": breakdown(d_steps),
            "floor_steps_ms_since_admit_call": breakdown(f_steps),
            "raw_dcmon_ms": dcmon,
            "raw_floor_ms": floor,
            "raw_floor_without_first_ping_ms": old_floor,
        },
    )


def run(budget: Budget) -> Result:
    return asyncio.run(measure(budget))
