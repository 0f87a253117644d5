"""3. RTT accuracy: the ping RTT dcmon reports vs a raw ping/pong on the same kind of socket.

dcmon's default data channel pings on its own schedule (TEST profile with a 50 ms ping
interval, so samples come quickly); its reported RTT is taken from the RTT events. The floor
holds its own default data channel on the same in-process simulator and sends the same JSON
ping (`{"id", "type": "ping"}`) with bare websockets, stamping perf_counter_ns just before the
send and just after the receive. Floor pings go half-way between dcmon's, so the two never
share the loop at the same instant (interleaved, not one after the other).

The simulator runs in its own process (its CPU is not the client's, as with a real server),
over several sessions with a fresh client each: dcmon pings its device socket on the same
interval as the data channel, from the same loop, and where those pings fall relative to
each other is fixed when each socket comes online, so it changes from session to session.
The table says how many dcmon samples had the device ping in flight, and the median of those
that did not. A shorter round with the simulator on the client's own loop is shown too.

Then the simulator's latency fault is set to 50 ms on both sockets
(`POST /sim/sockets {"action": "latency", "ms": 50}`) and both are sampled again: the added
latency is median(with fault) - median(without), for dcmon and for the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from bench.common import USER_TOKEN, Budget, SimProcess, median, ms, progress, quantile, summary
from bench.floor import FloorClient, admitted
from bench.report import Result, Row

NAME = "rtt"
TITLE = "Ping RTT accuracy"
TARGET = 1.2
FAULT_MS = 50
PING_INTERVAL = 0.05


async def sample(
    client: Any, floor: Any, fsock: Any, n: int, interval: float
) -> tuple[list[float], list[float], list[bool]]:
    """n dcmon RTTs (from its own pings) and n floor RTTs sent half-way between them.

    Also says, per dcmon sample, whether dcmon's device-socket ping was in flight at the
    same time (both ping loops run on the same loop and the same interval).
    """
    from app.core.events import EventKind

    queue: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    device: list[tuple[int, int]] = []  # (sent, received) ns of device-socket pings

    def on_event(e: Any) -> None:
        if e.kind is not EventKind.RTT:
            return
        now = time.perf_counter_ns()
        rtt = float(e.data["rtt_ms"])
        if e.channel == "default":
            queue.put_nowait((now, rtt))
        elif e.channel == "device":
            device.append((now - int(rtt * 1e6), now))

    off = client.hub.on_event(on_event)
    d: list[float] = []
    f: list[float] = []
    spans: list[tuple[int, int]] = []
    try:
        while len(d) < n:
            end, rtt = await asyncio.wait_for(queue.get(), 10)
            d.append(rtt)
            spans.append((end - int(rtt * 1e6), end))
            # dcmon's next ping goes `interval` after its pong: send ours half-way there
            await asyncio.sleep(interval / 2)
            f.append(ms(await floor.ping(fsock)))
        await asyncio.sleep(0.01)  # the device pong of the last sample may still be due
    finally:
        off()
    overlap = [any(a < d1 and d0 < b for d0, d1 in device) for a, b in spans]
    return d, f, overlap


async def session(base_url: str, n: int, n_fault: int, tag: str) -> dict[str, list[float]]:
    """dcmon and the floor, each on its own default channel of the simulator at base_url."""
    from app.core.meeting import MeetingClient
    from app.core.settings import TEST
    from app.core.watch import Watch
    from app.sim import SimControl

    interval = PING_INTERVAL
    settings = TEST.with_(ping_interval=interval, pong_timeout=2.0, profile="test (50 ms pings)")
    out: dict[str, list[float]] = {}
    async with SimControl(base_url) as host:
        slug = tag.replace(" ", "-")
        dm, fm = f"rtt-dcmon-{slug}", f"rtt-floor-{slug}"
        # dcmon: admitted, default online and subscribed
        await host.create_meeting(dm, lobby=False, webinar=True)
        client = MeetingClient(base_url, USER_TOKEN, settings)
        watch = Watch(client.hub, client.snapshot)
        await client.join(dm)
        await watch.until(lambda s: "transcription" in s.channel("default").confirmed, 10, "up")
        watch.close()
        # floor: its own default data channel, subscribed as well
        await host.create_meeting(fm, lobby=True, webinar=True)
        floor = FloorClient(base_url, USER_TOKEN)
        fsock = None
        try:
            await floor.register_device()
            await floor.open_device_socket()
            await floor.join(fm)
            await host.admit(fm)
            locus = await floor.wait_locus(admitted)
            dc_url = locus["info"]["datachannelUrl"]
            fsock = await floor.connect(await floor.register(dc_url, await floor.fetch_token()))
            await floor.subscribe(fsock, dc_url)
            await sample(client, floor, fsock, min(5, n), interval)  # warm-up
            progress(f"rtt ({tag}): sampling {n} pings each, no fault")
            out["d"], out["f"], out["overlap"] = await sample(client, floor, fsock, n, interval)
            progress(
                f"rtt ({tag}): median dcmon {median(out['d']):.3f} ms, "
                f"floor {median(out['f']):.3f} ms"
            )
            if n_fault:
                progress(f"rtt ({tag}): {FAULT_MS} ms latency fault on both sockets")
                await host.socket(dm, "default", "latency", ms=FAULT_MS)
                await host.socket(fm, "default", "latency", ms=FAULT_MS)
                await sample(client, floor, fsock, 2, interval)  # pings in flight at the switch
                out["dl"], out["fl"], _ = await sample(client, floor, fsock, n_fault, interval)
                progress(
                    f"rtt ({tag}): with the fault, median dcmon {median(out['dl']):.2f} ms, "
                    f"floor {median(out['fl']):.2f} ms"
                )
        finally:
            if fsock is not None:
                with contextlib.suppress(Exception):
                    await fsock.ws.close(3050, "done (permanent)")
            await floor.leave()
            await floor.close()
            await client.close()
            with contextlib.suppress(Exception):
                await host.end_meeting(dm)
                await host.end_meeting(fm)
    return out


async def in_process(n: int, n_fault: int = 0) -> dict[str, list[float]]:
    from app.sim import Simulator

    async with Simulator() as sim:
        return await session(sim.base_url, n, n_fault, "in-process sim")


async def measure(budget: Budget) -> Result:
    sessions = budget.pick(3, 2, 1)
    n = budget.pick(80, 25, 2)  # pings per session and side
    n_fault = budget.pick(40, 10, 2)
    n_inproc = budget.pick(80, 20, 2)
    if budget.smoke:  # one in-process round covers every code path
        main = inproc = await in_process(n, n_fault)
        return _result(main, inproc, n, n_inproc, 1, "smoke: sim on the client's loop")
    proc = SimProcess()
    proc.spawn()  # boots while the in-process round runs
    try:
        inproc = await in_process(n_inproc)
        proc.wait_ready()
        main: dict[str, list] = {}
        for i in range(sessions):
            # a fresh client each time: where its device-socket pings fall relative to the
            # default channel's is set when each comes online, so it differs per session
            last = i == sessions - 1
            one = await session(proc.base_url, n, n_fault if last else 0, f"sim-process-{i}")
            for key, values in one.items():
                main.setdefault(key, []).extend(values)
    finally:
        proc.stop()
    return _result(main, inproc, n * sessions, n_inproc, sessions, "sim in its own process")


def _result(main: dict, inproc: dict, n: int, n_inproc: int, sessions: int, where: str) -> Result:
    d, f, dl, fl = main["d"], main["f"], main["dl"], main["fl"]
    alone = [v for v, o in zip(d, main["overlap"], strict=True) if not o]
    overlapped = [v for v, o in zip(d, main["overlap"], strict=True) if o]
    r = median(d) / median(f)
    added_d = median(dl) - median(d)
    added_f = median(fl) - median(f)
    expect = FAULT_MS + median(f)  # reported should be the fault + the floor's own RTT
    within = abs(median(dl) - expect) <= 0.1 * FAULT_MS
    note = ""
    if abs(added_f - 2 * FAULT_MS) < 0.2 * FAULT_MS:
        note = f"the simulator delays each direction by {FAULT_MS} ms"
    rows = [
        Row(
            NAME,
            f"median of {n} pings, {sessions} session(s) ({where})",
            median(d),
            median(f),
            target=f"ratio <= {TARGET}",
            met=r <= TARGET,
            ratio=r,
        ),
        Row(NAME, "p90 (info)", quantile(d, 0.9), quantile(f, 0.9)),
        Row(
            NAME,
            "dcmon pings with no device-socket ping in flight (info)",
            median(alone) if alone else median(overlapped),
            median(f),
            note=f"{len(alone)} of {len(d)}; {100 * (1 - len(alone) / len(d)):.0f}% overlapped "
            "dcmon's own device-socket ping" + ("" if alone else " (none alone: all shown)"),
        ),
        Row(
            NAME,
            f"median of {n_inproc}, sim on the client's own loop (info)",
            median(inproc["d"]),
            median(inproc["f"]),
        ),
        Row(
            NAME,
            f"RTT with the sim's {FAULT_MS} ms latency fault",
            median(dl),
            median(fl),
            target=f"{FAULT_MS} + floor = {expect:.1f}",
            met=within,
            note=note,
        ),
        Row(NAME, "  added by the fault (info)", added_d, added_f, note=note),
    ]
    return Result(
        NAME,
        TITLE,
        rows,
        {
            "dcmon_ms": summary(d),
            "floor_ms": summary(f),
            "dcmon_fault_ms": summary(dl),
            "floor_fault_ms": summary(fl),
            "inprocess_dcmon_ms": summary(inproc["d"]),
            "dcmon_alone_ms": summary(alone),
            "dcmon_overlapped_ms": summary(overlapped),
            "overlapped_share": 1 - len(alone) / len(d),
            "sessions": sessions,
            "inprocess_floor_ms": summary(inproc["f"]),
            "fault_ms": FAULT_MS,
            "ping_interval_s": PING_INTERVAL,
            "note": note,
        },
    )


def run(budget: Budget) -> Result:
    return asyncio.run(measure(budget))
