"""3. RTT accuracy: the ping RTT dcmon reports vs a raw ping/pong on the same kind of socket.

dcmon's default data channel pings on its own schedule (TEST profile with a 50 ms ping
interval, so samples come quickly); its reported RTT is taken from the RTT events. The floor
holds its own default data channel on the same in-process simulator and sends the same JSON
ping (`{"id", "type": "ping"}`) with bare websockets, stamping perf_counter_ns just before the
send and just after the receive. Floor pings go half-way between dcmon's, so the two never
share the loop at the same instant (interleaved, not one after the other).

The simulator runs in its own process (its CPU is not the client's, as with a real server),
over several sessions with a fresh client each. In each, dcmon is a panelist in a practice
session, so all three of its sockets are online and pinging on the same interval from the
same loop: device, default and practice (PROTOCOL.md s. 4 step 6: the first ping at online,
and sockets must not ping in lock-step). Where their pings fall relative to each other is
set when each comes online, so it differs per session. The table gives the overlap share:
the fraction of dcmon's data-channel pings (default and practice) that had another of its
sockets' pings in flight, overall and per session, and the median of the default pings
that had none. A shorter round with the simulator on the client's own loop is shown too.

Then the simulator's latency fault is set to 50 ms on both sockets
(`POST /sim/sockets {"action": "latency", "ms": 50}`) and both are sampled again: the added
latency is median(with fault) - median(without), for dcmon and for the floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field
from typing import Any

from bench.common import USER_TOKEN, Budget, SimProcess, median, ms, progress, quantile, summary
from bench.floor import FloorClient, admitted
from bench.report import Result, Row

NAME = "rtt"
TITLE = "Ping RTT accuracy"
TARGET = 1.2
FAULT_MS = 50
PING_INTERVAL = 0.05


Span = tuple[int, int]  # (sent, received) perf_counter_ns of one ping


@dataclass
class Samples:
    """One sampling round: RTTs (ms) and, per ping, its span in time."""

    d: list[float] = field(default_factory=list)  # dcmon's default channel
    f: list[float] = field(default_factory=list)  # the floor's default channel
    spans: dict[str, list[Span]] = field(default_factory=dict)  # dcmon's, by socket
    rtts: dict[str, list[float]] = field(default_factory=dict)

    def overlapped(self, channel: str) -> list[bool]:
        """Per ping of `channel`: was another of dcmon's sockets' pings in flight with it?"""
        others = [sp for ch, spans in self.spans.items() if ch != channel for sp in spans]
        return [any(a < o1 and o0 < b for o0, o1 in others) for a, b in self.spans.get(channel, [])]


async def sample(client: Any, floor: Any, fsock: Any, n: int, interval: float) -> Samples:
    """n dcmon RTTs on its default channel (from its own pings) and n floor RTTs sent
    half-way between them; every other socket's RTT events are kept too (device, practice),
    with their spans, so the table can say which pings had another one in flight."""
    from app.core.events import EventKind

    queue: asyncio.Queue[float] = asyncio.Queue()
    out = Samples()

    def on_event(e: Any) -> None:
        if e.kind is not EventKind.RTT:
            return
        now = time.perf_counter_ns()
        rtt = float(e.data["rtt_ms"])
        out.spans.setdefault(e.channel, []).append((now - int(rtt * 1e6), now))
        out.rtts.setdefault(e.channel, []).append(rtt)
        if e.channel == "default":
            queue.put_nowait(rtt)

    off = client.hub.on_event(on_event)
    try:
        while len(out.d) < n:
            out.d.append(await asyncio.wait_for(queue.get(), 10))
            # dcmon's next ping goes `interval` after its pong: send ours half-way there
            await asyncio.sleep(interval / 2)
            out.f.append(ms(await floor.ping(fsock)))
        await asyncio.sleep(interval)  # the other sockets' pongs of the last sample may be due
    finally:
        off()
    return out


def merge(into: dict[str, list[Any]], one: Samples, suffix: str = "") -> None:
    into.setdefault("d" + suffix, []).extend(one.d)
    into.setdefault("f" + suffix, []).extend(one.f)
    if suffix:
        return
    # the default pings that were sampled (more may land while the round winds down)
    into.setdefault("overlap_default", []).extend(one.overlapped("default")[: len(one.d)])
    into.setdefault("overlap_practice", []).extend(one.overlapped("practice"))
    into.setdefault("rtt_practice", []).extend(one.rtts.get("practice", []))
    into.setdefault("rtt_device", []).extend(one.rtts.get("device", []))
    flags = one.overlapped("default")[: len(one.d)] + one.overlapped("practice")
    into.setdefault("session_share", []).append(sum(flags) / len(flags) if flags else math.nan)


async def session(
    base_url: str, n: int, n_fault: int, tag: str, practice: bool = True
) -> dict[str, list[Any]]:
    """dcmon and the floor, each on its own default channel of the simulator at base_url.
    With `practice`, dcmon is a panelist in a practice session first, so all three of its
    sockets (device, default, practice) are online and pinging while it is sampled."""
    from app.core.meeting import MeetingClient
    from app.core.settings import TEST
    from app.core.watch import Watch
    from app.sim import SimControl

    interval = PING_INTERVAL
    settings = TEST.with_(ping_interval=interval, pong_timeout=2.0, profile="test (50 ms pings)")
    out: dict[str, list[Any]] = {}
    async with SimControl(base_url) as host:
        slug = tag.replace(" ", "-")
        dm, fm = f"rtt-dcmon-{slug}", f"rtt-floor-{slug}"
        # dcmon: admitted, default online and subscribed, then (practice) the practice channel
        await host.create_meeting(dm, lobby=False, webinar=True)
        client = MeetingClient(base_url, USER_TOKEN, settings)
        watch = Watch(client.hub, client.snapshot)
        await client.join(dm)
        await watch.until(online_and_subscribed("default"), 10, "default up")
        if practice:
            await host.practice_session(dm, True)
            await host.set_roles(dm, client.snapshot.participant_id or "", ["PANELIST"])
            await watch.until(online_and_subscribed("practice"), 10, "practice up")
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
            await floor.captions_on()
            await floor.subscribe(fsock, dc_url)
            await sample(client, floor, fsock, min(5, n), interval)  # warm-up
            progress(f"rtt ({tag}): sampling {n} pings each, no fault")
            merge(out, await sample(client, floor, fsock, n, interval))
            if practice and not out["rtt_practice"]:
                raise RuntimeError("the practice channel reported no RTT while sampled")
            progress(
                f"rtt ({tag}): median dcmon {median(out['d']):.3f} ms, "
                f"floor {median(out['f']):.3f} ms"
            )
            if n_fault:
                progress(f"rtt ({tag}): {FAULT_MS} ms latency fault on both sockets")
                await host.socket(dm, "default", "latency", ms=FAULT_MS)
                await host.socket(fm, "default", "latency", ms=FAULT_MS)
                await sample(client, floor, fsock, 2, interval)  # pings in flight at the switch
                merge(out, await sample(client, floor, fsock, n_fault, interval), "l")
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


def online_and_subscribed(name: str) -> Any:
    from app.core.events import ChannelState

    def check(s: Any) -> bool:
        ch = s.channel(name)
        return ch.state is ChannelState.ONLINE and "transcription" in ch.confirmed

    return check


async def in_process(n: int, n_fault: int = 0) -> dict[str, list[Any]]:
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
            # a fresh client each time: where its sockets' pings fall relative to each other
            # is set when each comes online, so it differs per session
            last = i == sessions - 1
            one = await session(proc.base_url, n, n_fault if last else 0, f"sim-process-{i}")
            for key, values in one.items():
                main.setdefault(key, []).extend(values)
    finally:
        proc.stop()
    return _result(main, inproc, n * sessions, n_inproc, sessions, "sim in its own process")


def _result(main: dict, inproc: dict, n: int, n_inproc: int, sessions: int, where: str) -> Result:
    d, f, dl, fl = main["d"], main["f"], main["dl"], main["fl"]
    over_d, over_p = main["overlap_default"], main["overlap_practice"]
    alone = [v for v, o in zip(d, over_d, strict=True) if not o]
    overlapped = [v for v, o in zip(d, over_d, strict=True) if o]
    data_pings = len(over_d) + len(over_p)
    share = (sum(over_d) + sum(over_p)) / data_pings if data_pings else math.nan
    practice = main.get("rtt_practice", [])
    r = median(d) / median(f)
    added_d = median(dl) - median(d)
    added_f = median(fl) - median(f)
    expect = FAULT_MS + median(f)  # reported should be the fault + the floor's own RTT
    within = abs(median(dl) - expect) <= 0.1 * FAULT_MS
    note = ""
    if abs(added_f - 2 * FAULT_MS) < 0.2 * FAULT_MS:
        note = f"the simulator delays each direction by {FAULT_MS} ms"
    three = "all three sockets online" if practice else "device + default online"
    rows = [
        Row(
            NAME,
            f"default channel, {three}: median of {n} pings, {sessions} session(s) ({where})",
            median(d),
            median(f),
            target=f"ratio <= {TARGET}",
            met=r <= TARGET,
            ratio=r,
        ),
        Row(NAME, "p90 (info)", quantile(d, 0.9), quantile(f, 0.9)),
        Row(
            NAME,
            "overlap share: data-channel pings with another socket's ping in flight (info)",
            100 * share,
            unit="%",
            note=f"default {sum(over_d)} of {len(over_d)}, practice {sum(over_p)} of "
            f"{len(over_p)}; per session "
            + " / ".join(f"{100 * x:.0f}%" for x in main.get("session_share", []))
            + "; lock-step reads ~100%",
        ),
        Row(
            NAME,
            "default pings with no other ping in flight (info)",
            median(alone) if alone else median(overlapped),
            median(f),
            note=f"{len(alone)} of {len(d)}" + ("" if alone else " (none alone: all shown)"),
        ),
        Row(
            NAME,
            "practice channel, same sessions (info)",
            median(practice) if practice else math.nan,
            median(f),
            note=f"{len(practice)} pings",
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
            "dcmon_practice_ms": summary(practice),
            "dcmon_device_ms": summary(main.get("rtt_device", [])),
            "overlap_share": share,
            "overlap_share_default": sum(over_d) / len(over_d) if over_d else math.nan,
            "overlap_share_practice": sum(over_p) / len(over_p) if over_p else math.nan,
            "overlap_share_per_session": main.get("session_share", []),
            "sessions": sessions,
            "inprocess_floor_ms": summary(inproc["f"]),
            "fault_ms": FAULT_MS,
            "ping_interval_s": PING_INTERVAL,
            "note": note,
        },
    )


def run(budget: Budget) -> Result:
    return asyncio.run(measure(budget))
