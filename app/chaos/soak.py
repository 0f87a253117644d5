"""Soak: the demo profile under long churn, with time compressed, watched for growth.

`python -m app.chaos.soak` (`make soak`) runs 30 simulated minutes of churn on the demo
profile, with every timing of the profile and of the churn divided by the compression
factor (x10 by default: 30 simulated minutes take 3 real ones). Churn: a drop every few
seconds (reset, 1006-style, close 1001, half-open, a client-side close), token expiry with
a URL rotation every minute (401, refresh, retry), promotion flapping (panelist <->
attendee, the practice channel following), captions all along. Task count, open sockets
and RSS are taken at the start (once online) and at the end (once settled again), and the
run fails when any of them grew beyond its threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.events import ChannelState, EventKind, MeetingSnapshot
from app.core.meeting import MeetingClient
from app.core.settings import DEMO, Settings
from app.core.watch import Watch
from app.sim import SimControl, Simulator

MEETING = "soak"
USER_TOKEN = "soak-user-token-0123456789"
# One HTTP keep-alive connection more or less in a pool (client or host console) is 5 tasks
# (the fault proxy's 4 pumps and its handler) and 4 socket fds; two of them are jitter, not
# growth. A leak of one task per reconnect would show hundreds over a 30-minute soak.
MAX_TASK_GROWTH = 10
MAX_SOCKET_GROWTH = 8
MAX_RSS_GROWTH_MIB = 30.0


def compressed(settings: Settings, factor: float) -> Settings:
    """The profile with every duration divided by `factor` (labelled as such)."""
    f = factor
    return settings.with_(
        profile=f"{settings.profile} x{f:g}",
        # pongs on a busy machine take a while: below these a loaded CI box drops sockets
        # on its own, which is churn we did not ask for
        ping_interval=max(settings.ping_interval / f, 0.2),
        pong_timeout=max(settings.pong_timeout / f, 0.6),
        backoff_reset=settings.backoff_reset / f,
        backoff_max=settings.backoff_max / f,
        force_close_delay=settings.force_close_delay / f,
        auth_retry_delay=settings.auth_retry_delay / f,
        http_timeout=max(settings.http_timeout / f, 1.0),
        connect_timeout=max(settings.connect_timeout / f, 1.0),
        close_timeout=settings.close_timeout / f,
    )


@dataclass(frozen=True)
class Figures:
    tasks: int
    task_kinds: Counter[str] = field(compare=False, repr=False)  # coroutine name -> count
    sim_sockets: int  # live socket records in the simulator
    proxy_links: int  # TCP links through the fault proxy (HTTP keep-alive included)
    fds: int  # open socket file descriptors of this process (client and simulator)
    rss_mib: float

    def row(self) -> tuple[str, ...]:
        return (
            str(self.tasks),
            str(self.sim_sockets),
            str(self.proxy_links),
            str(self.fds),
            f"{self.rss_mib:.1f}",
        )


def _socket_fds() -> int:
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return -1
    count = 0
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak, Linux: KiB


def _task_kind(task: asyncio.Task) -> str:  # type: ignore[type-arg]
    coro = task.get_coro()
    return getattr(coro, "__qualname__", None) or type(coro).__name__


def figures(sim: Simulator) -> Figures:
    gc.collect()
    assert sim.engine is not None and sim.proxy is not None
    tasks = asyncio.all_tasks()
    return Figures(
        len(tasks),
        Counter(_task_kind(t) for t in tasks),
        len(sim.engine.model.sockets),
        sim.proxy.connections,
        _socket_fds(),
        _rss_mib(),
    )


@dataclass
class SoakResult:
    sim_minutes: float
    factor: float
    real_seconds: float
    start: Figures
    end: Figures
    churn: Counter[str] = field(default_factory=Counter)
    events: int = 0
    reconnects: int = 0
    errors: list[str] = field(default_factory=list)
    churn_errors: list[str] = field(default_factory=list)  # reported, not a failure

    @property
    def flat(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        out = list(self.errors)
        if self.end.tasks - self.start.tasks > MAX_TASK_GROWTH:
            out.append(f"tasks grew {self.start.tasks} -> {self.end.tasks}")
        grew = max(self.end.sim_sockets - self.start.sim_sockets, self.end.fds - self.start.fds)
        if grew > MAX_SOCKET_GROWTH:
            out.append(f"sockets grew by {grew}")
        if self.end.rss_mib - self.start.rss_mib > MAX_RSS_GROWTH_MIB:
            out.append(f"RSS grew {self.start.rss_mib:.1f} -> {self.end.rss_mib:.1f} MiB")
        return out

    def report(self) -> str:
        churn = ", ".join(f"{n} {k}" for k, n in sorted(self.churn.items()))
        head = ("", "tasks", "sim sockets", "proxy links", "socket fds", "RSS MiB")
        rows = [head, ("start", *self.start.row()), ("end", *self.end.row())]
        table = "\n".join("  " + "".join(f"{c:>13}" for c in r) for r in rows)
        verdict = "flat" if self.flat else "FAILED: " + "; ".join(self.problems())
        delta = self.end.task_kinds.copy()
        delta.subtract(self.start.task_kinds)
        moved = ", ".join(f"{k} {n:+d}" for k, n in sorted(delta.items()) if n)
        detail = f"\n  tasks that differ (end - start): {moved}" if moved else ""
        failed = "".join(f"\n  churn step failed: {e}" for e in self.churn_errors)
        return (
            f"soak: {self.sim_minutes:g} simulated minutes (x{self.factor:g}: "
            f"{self.real_seconds:.0f} s real), {self.events} events, {self.reconnects} "
            f"reconnects; churn: {churn}\n{table}\n"
            f"  result: {verdict} (thresholds: tasks +{MAX_TASK_GROWTH}, sockets "
            f"+{MAX_SOCKET_GROWTH}, RSS +{MAX_RSS_GROWTH_MIB:g} MiB){detail}{failed}"
        )


async def measure(sim: Simulator, watch: Watch, timeout: float = 20.0) -> Figures:
    """Figures in a steady state: every channel online and confirmed, the simulator holding
    exactly those three sockets, and that still true right after taking them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await watch.until(_settled, max(0.1, deadline - loop.time()), "settled")
        f = figures(sim)
        if f.sim_sockets == 3 and watch.last is not None and _settled(watch.last):
            return f
        if loop.time() > deadline:
            raise TimeoutError(f"no steady state within {timeout:g} s: {f}")
        await asyncio.sleep(0.1)


def _settled(s: MeetingSnapshot) -> bool:
    """Every socket online; transcription confirmed on the publish transport (practice)
    and on that socket only (PROTOCOL.md s. 5)."""
    return (
        all(s.channel(n).state is ChannelState.ONLINE for n in ("device", "default", "practice"))
        and "transcription" in s.channel("practice").confirmed
        and "transcription" not in s.channel("default").confirmed
    )


async def soak(
    sim_minutes: float = 30.0,
    factor: float = 10.0,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> SoakResult:
    rng = random.Random(seed)
    settings = compressed(DEMO, factor)
    churn: Counter[str] = Counter()
    churn_errors: list[str] = []
    started = time.perf_counter()
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        await host.create_meeting(MEETING, lobby=True, webinar=True)
        client = MeetingClient(sim.base_url, USER_TOKEN, settings, display_name="soak")
        watch = Watch(client.hub, client.snapshot)
        count: Counter[str] = Counter()
        client.hub.on_event(lambda e: count.update([e.kind.value]))
        try:
            await client.join(MEETING)
            await watch.until(lambda s: s.badge == "Lobby", 10, "lobby")
            await host.admit(MEETING)
            await host.practice_session(MEETING, True)
            pid = client.snapshot.participant_id
            assert pid is not None
            await host.set_roles(MEETING, pid, ["PANELIST"])
            await host.transcription(MEETING, 5)
            await watch.until(_settled, 15, "both channels online")
            # the baseline is taken after a warm-up (pools, caches, first reconnects)
            warmup = min(max(30.0, sim_minutes * 6), sim_minutes * 30)
            start: Figures | None = None
            # the churn schedule, in simulated seconds
            now = 0.0
            next_drop = rng.uniform(3, 6)
            next_expiry = 60.0
            next_flip = rng.uniform(20, 40)
            panelist = True
            last_report = 0.0
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            while now < sim_minutes * 60:
                if start is None and now >= warmup:
                    if not panelist:
                        panelist = True
                        await host.set_roles(MEETING, pid, ["PANELIST"])
                    start = await measure(sim, watch)
                    t0 = loop.time() - now / factor  # measuring took time: not churn time
                watch.events.clear()  # the harness keeps no history: only the client may grow
                due = min(next_drop, next_expiry, next_flip)
                await asyncio.sleep(max(0.0, t0 + due / factor - loop.time()))
                now = due
                try:
                    if due == next_drop:
                        await _drop(rng, host, client, panelist, churn)
                        next_drop = now + rng.uniform(3, 6)
                    elif due == next_expiry:
                        await host.tokens(MEETING, "expire")
                        await host.rotate(MEETING, "default")
                        churn["token expiries"] += 1
                        next_expiry = now + 60
                    else:
                        panelist = not panelist
                        roles = ["PANELIST"] if panelist else ["ATTENDEE"]
                        await host.set_roles(MEETING, pid, roles)
                        churn["promotion flips"] += 1
                        next_flip = now + rng.uniform(20, 40)
                except Exception as exc:  # a churn step that fails is reported, not fatal
                    churn["churn steps failed"] += 1
                    if len(churn_errors) < 5:
                        churn_errors.append(f"{type(exc).__name__}: {exc}")
                if progress is not None and now - last_report >= 300:
                    last_report = now
                    f = figures(sim)
                    progress(
                        f"  {now / 60:5.1f} min: tasks {f.tasks}, sim sockets {f.sim_sockets}, "
                        f"fds {f.fds}, RSS {f.rss_mib:.1f} MiB"
                    )
            if not panelist:
                await host.set_roles(MEETING, pid, ["PANELIST"])
            errors: list[str] = []
            if start is None:
                start = await measure(sim, watch)
            try:
                end = await measure(sim, watch)
            except TimeoutError as exc:
                errors.append(str(exc))
                end = figures(sim)
            snap = client.snapshot
            reconnects = sum(snap.channel(n).reconnects for n in ("device", "default", "practice"))
        finally:
            watch.close()
            await client.close()
    return SoakResult(
        sim_minutes,
        factor,
        time.perf_counter() - started,
        start,
        end,
        churn,
        sum(n for k, n in count.items() if k != EventKind.RTT.value),
        reconnects,
        errors,
        churn_errors,
    )


async def _drop(
    rng: random.Random, host: SimControl, client: MeetingClient, panelist: bool, churn: Counter
) -> None:
    channel = rng.choice(["default", "default", "practice"] if panelist else ["default"])
    how = rng.choice(["reset", "reset", "close-1001", "halfopen", "client-close", "device-reset"])
    if how == "reset":
        await host.socket(MEETING, channel, "reset")
    elif how == "close-1001":
        await host.socket(MEETING, channel, "close", code=1001, reason="going away")
    elif how == "halfopen":
        await host.socket(MEETING, channel, "halfopen")
    elif how == "device-reset":
        await host.socket(MEETING, "device", "reset")
    else:
        try:
            client.drop(channel, "close")
        except Exception:
            churn["drops skipped (not online)"] += 1
            return
    churn[f"drops ({how})"] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.chaos.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0, help="simulated minutes")
    parser.add_argument("--compression", type=float, default=10.0, help="time compression")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(
        f"soak: {args.minutes:g} simulated minutes of churn on the demo profile, time "
        f"compressed x{args.compression:g} (~{args.minutes * 60 / args.compression:.0f} s)",
        flush=True,
    )
    result = asyncio.run(
        soak(args.minutes, args.compression, args.seed, lambda line: print(line, flush=True))
    )
    print(result.report())
    return 0 if result.flat else 1


if __name__ == "__main__":
    sys.exit(main())
