"""5. Memory and growth under churn: RSS and asyncio task count after 1, 10 and 30 simulated
minutes, and growth per simulated hour.

The core (TEST profile) runs alone in a fresh process; the simulator runs in another one, so
its memory is not counted as dcmon's (it is sampled too, for information). Churn comes from
the simulator's /sim/ controls, one disruption every CHURN_STEP seconds, in this cycle:

    reset default (1006) . close default 1001 . expire default token + rotate the default URL .
    practice session on + promote to panelist . reset practice . reset the device socket
    (resync) . demote + practice session off . server drain of the default (shutdown, 4001)

plus a leave + rejoin + admit (a new generation) every 5 simulated minutes, with
transcription running at 20 relays/s on every subscribed channel throughout.

Time compression: one simulated minute = 1.5 real seconds in the full run (40x; 0.25 s, 240x,
with --quick; the TEST profile pings every 0.2 s where the SDK pings every 15 s). Growth per hour is
the slope between the 10- and 30-minute samples (after warm-up), scaled to 60 simulated
minutes; the 1 -> 30 slope is in the JSON too.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections import Counter
from typing import Any

from bench.common import USER_TOKEN, Budget, SimProcess, progress, rss_bytes, run_child
from bench.report import Result, Row

NAME = "memory"
TITLE = "Memory under churn (TEST profile)"
CHECKPOINTS = (1, 10, 30)  # simulated minutes
MEETING = "mem-1"
MB = 1024 * 1024


async def _churn(base_url: str, sim_pid: int, sim_minute: float, step: float) -> dict[str, Any]:
    from app.core.meeting import MeetingClient
    from app.core.settings import TEST
    from app.core.watch import Watch
    from app.sim import SimControl, SimControlError

    counts: Counter[str] = Counter()
    samples: list[dict[str, Any]] = []
    async with SimControl(base_url) as host:
        await host.create_meeting(MEETING, lobby=True, webinar=True)
        client = MeetingClient(base_url, USER_TOKEN, TEST, display_name="mem")
        client.hub.on_event(lambda e: counts.update([e.kind.value]))

        async def join_and_admit() -> str:
            watch = Watch(client.hub, client.snapshot)  # short-lived: a Watch keeps every event
            try:
                await client.join(MEETING)
                await watch.until(lambda s: s.badge == "Lobby", 10, "lobby")
                await host.admit(MEETING)
                await watch.until(
                    lambda s: "transcription" in s.channel("default").confirmed, 10, "default up"
                )
            finally:
                watch.close()
            pid = client.snapshot.participant_id
            assert pid is not None
            return pid

        pid = await join_and_admit()
        await host.transcription(MEETING, 20)

        async def act(i: int) -> None:
            kind = i % 8
            if kind == 0:
                await host.socket(MEETING, "default", "reset", participant_id=pid)
            elif kind == 1:
                await host.socket(MEETING, "default", "close", pid, 1001, "going away")
            elif kind == 2:
                await host.tokens(MEETING, "expire", "llm-default-session")
                await host.rotate(MEETING, "default")
            elif kind == 3:
                await host.practice_session(MEETING, True)
                await host.set_roles(MEETING, pid, ["PANELIST"])
            elif kind == 4:
                await host.socket(MEETING, "practice", "reset", participant_id=pid)
            elif kind == 5:
                await host.socket(MEETING, "device", "reset", participant_id=pid)
            elif kind == 6:
                await host.set_roles(MEETING, pid, ["ATTENDEE"])
                await host.practice_session(MEETING, False)
            else:
                # a server drain (PROTOCOL.md v2 s. 4 step 8): shutdown frame, replacement
                # socket, then 4001 on the old one. A bare 4001 on the active socket is now
                # "switchover failed": permanent, which would end the churn.
                await host.socket(MEETING, "default", "shutdown", participant_id=pid)

        types: dict[int, Counter[str]] = {}

        async def settle() -> None:
            """The same state before every sample: attendee, no practice session, device
            and default online, default subscribed, practice channel offline."""
            from app.core.events import ChannelState

            with contextlib.suppress(SimControlError):
                await host.set_roles(MEETING, pid, ["ATTENDEE"])
                await host.practice_session(MEETING, False)
            watch = Watch(client.hub, client.snapshot)
            try:
                await watch.until(
                    lambda s: (
                        "transcription" in s.channel("default").confirmed
                        and s.channel("device").state is ChannelState.ONLINE
                        and s.channel("practice").state is ChannelState.OFFLINE
                    ),
                    10,
                    "settled",
                )
            finally:
                watch.close()

        async def long_lived_tasks() -> int:
            """Tasks that stay: the fewest seen over a quarter second (an HTTP call or a
            close in flight at the sampling instant is not a leak)."""
            await settle()
            seen = []
            for _ in range(5):
                seen.append(len(asyncio.all_tasks()))
                await asyncio.sleep(0.05)
            return min(seen)

        async def sample(minute: int) -> None:
            tasks = await long_lived_tasks()
            gc.collect()
            types[minute] = Counter(type(o).__name__ for o in gc.get_objects())
            snap = client.snapshot
            samples.append(
                {
                    "sim_minute": minute,
                    "rss": rss_bytes(),
                    "sim_rss": rss_bytes(sim_pid),
                    "tasks": tasks,
                    "events": sum(counts.values()),
                    "gc_objects": len(gc.get_objects()),
                    "reconnects": {n.value: c.reconnects for n, c in snap.channels.items()},
                    "generation": snap.generation,
                }
            )
            s = samples[-1]
            progress(
                f"memory: {minute} sim min: RSS {s['rss'] / MB:.1f} MB, {s['tasks']} tasks, "
                f"{s['events']} events, generation {s['generation']}"
            )

        loop = asyncio.get_running_loop()
        start = loop.time()
        step_no = 0
        next_rejoin = 5
        pending = list(CHECKPOINTS)
        errors = 0
        while pending:
            minute = (loop.time() - start) / sim_minute
            if minute >= pending[0]:
                await sample(pending.pop(0))
                continue
            if minute >= next_rejoin:
                next_rejoin += 5
                with contextlib.suppress(Exception):
                    await client.leave()
                    pid = await join_and_admit()
                    await host.transcription(MEETING, 20)
            try:
                await act(step_no)
            except SimControlError:
                errors += 1  # e.g. nothing to reset right now: harmless
            step_no += 1
            due = start + step_no * step
            await asyncio.sleep(max(0.0, min(due - loop.time(), step)))
        await host.transcription(MEETING, 0)
        await client.close()
        await asyncio.sleep(0.2)
        gc.collect()
        after_close = {"rss": rss_bytes(), "tasks": len(asyncio.all_tasks())}
    growth = types[CHECKPOINTS[-1]] - types[CHECKPOINTS[1]]
    return {
        "samples": samples,
        "gc_type_growth_10_30": dict(growth.most_common(10)),
        "steps": step_no,
        "control_errors": errors,
        "events_by_kind": dict(counts),
        "after_close": after_close,
    }


def child(sim_minute: float, step: float) -> dict[str, Any]:
    """In a fresh process: the simulator in yet another, the core here."""
    sim = SimProcess()
    sim.spawn()  # boots while this process imports the core
    try:
        import app.core.meeting
        import app.sim  # noqa: F401

        sim.wait_ready()
        t0 = time.perf_counter()
        out = asyncio.run(_churn(sim.base_url, sim.pid, sim_minute, step))
        out["real_seconds"] = time.perf_counter() - t0
    finally:
        sim.stop()
    return out


def run(budget: Budget) -> Result:
    sim_minute = budget.pick(1.5, 0.25, 0.02)
    step = budget.pick(0.3, 0.25, 0.05)
    progress(
        f"memory: 30 simulated minutes at {sim_minute:g} s each "
        f"({60 / sim_minute:.0f}x compressed), a disruption every {step:g} s"
    )
    out = run_child("memory", "child", {"sim_minute": sim_minute, "step": step})
    by = {s["sim_minute"]: s for s in out["samples"]}
    s1, s10, s30 = by[1], by[10], by[30]
    per_hour = (s30["rss"] - s10["rss"]) / MB / 20 * 60
    per_hour_1 = (s30["rss"] - s1["rss"]) / MB / 29 * 60
    tasks_per_hour = (s30["tasks"] - s10["tasks"]) / 20 * 60
    factor = 60 / sim_minute
    rows = [
        Row(NAME, "RSS after 1 simulated minute", s1["rss"] / MB, unit="MB"),
        Row(NAME, "RSS after 10 simulated minutes", s10["rss"] / MB, unit="MB"),
        Row(NAME, "RSS after 30 simulated minutes", s30["rss"] / MB, unit="MB"),
        Row(
            NAME,
            f"RSS growth per simulated hour (10->30 min, {factor:.0f}x time)",
            per_hour,
            unit="MB/h",
            note=f"1->30 min: {per_hour_1:.2f} MB/h",
        ),
        Row(
            NAME,
            "asyncio tasks after 30 simulated minutes",
            float(s30["tasks"]),
            unit="",
            note=f"1 min: {s1['tasks']}, 10 min: {s10['tasks']}",
        ),
        Row(NAME, "task growth per simulated hour", tasks_per_hour, unit="tasks/h"),
        Row(
            NAME,
            "simulator process RSS 1 -> 30 min (info)",
            s30["sim_rss"] / MB,
            unit="MB",
            note=f"from {s1['sim_rss'] / MB:.1f}",
        ),
    ]
    details = dict(out)
    details.update(
        sim_minute_seconds=sim_minute,
        compression=factor,
        churn_step_seconds=step,
        growth_mb_per_hour_10_30=per_hour,
        growth_mb_per_hour_1_30=per_hour_1,
    )
    return Result(NAME, TITLE, rows, details)
