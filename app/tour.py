"""The demo tour: embedded simulator, then every flow dcmon exists for, each step checked.

join -> lobby -> admit -> default online + subscribed -> practice session + promotion ->
practice online + subscribed -> drop the default (1006) -> reconnect + resubscribe ->
token expiry -> 401 -> refresh + retry -> leave. Exit status 0 only if every step passed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.core.events import ChannelState, EventKind, MeetingSnapshot
from app.core.meeting import MeetingClient
from app.core.settings import Settings
from app.core.watch import Watch
from app.sim import SimControl, Simulator

MEETING = "demo-tour"
STEP_TIMEOUT = 15.0


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    ms: float
    message: str = ""


def online_and_subscribed(name: str) -> Callable[[MeetingSnapshot], bool]:
    def check(s: MeetingSnapshot) -> bool:
        ch = s.channel(name)
        return ch.state is ChannelState.ONLINE and "transcription" in ch.confirmed

    return check


async def run_tour(
    settings: Settings, report: Callable[[StepResult], None], user_token: str = "demo-user"
) -> list[StepResult]:
    results: list[StepResult] = []
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        await host.create_meeting(MEETING, lobby=True, webinar=True)
        client = MeetingClient(sim.base_url, user_token, settings, display_name="Tour guest")
        watch = Watch(client.hub, client.snapshot)
        pid: list[str] = []

        async def step(name: str, action: Callable[[], Awaitable[object]]) -> bool:
            started = time.perf_counter()
            try:
                await action()
                result = StepResult(name, True, (time.perf_counter() - started) * 1000)
            except Exception as exc:  # a failed step is reported, never a traceback
                ms = (time.perf_counter() - started) * 1000
                result = StepResult(name, False, ms, f"{type(exc).__name__}: {exc}")
            results.append(result)
            report(result)
            return result.ok

        async def join() -> None:
            await client.join(MEETING)
            await watch.until(lambda s: s.badge == "Lobby", STEP_TIMEOUT, "phase Lobby")
            pid.append(client.snapshot.participant_id or "")

        async def admit() -> None:
            mark = watch.mark()
            await host.transcription(MEETING, 5)
            await host.admit(MEETING)
            await watch.until(lambda s: s.badge == "Admitted", STEP_TIMEOUT, "phase Admitted")
            await watch.until(online_and_subscribed("default"), STEP_TIMEOUT, "default online")
            await watch.event(
                lambda e: e.kind is EventKind.TRANSCRIPT, STEP_TIMEOUT, "a caption", mark
            )

        async def promote() -> None:
            await host.practice_session(MEETING, True)
            await host.set_roles(MEETING, pid[0], ["PANELIST"])
            await watch.until(lambda s: s.badge == "Practice session", STEP_TIMEOUT, "badge")
            await watch.until(online_and_subscribed("practice"), STEP_TIMEOUT, "practice online")

        async def drop_default() -> None:
            before = client.snapshot.channel("default").reconnects
            practice_connects = client.snapshot.channel("practice").connects
            mark = watch.mark()
            await host.socket(MEETING, "default", "reset")  # no close frame: the client sees 1006
            await watch.event(
                lambda e: (
                    e.kind is EventKind.CLOSED
                    and e.channel == "default"
                    and e.data.get("code") == 1006
                ),
                STEP_TIMEOUT,
                "default closed without a close frame (1006)",
                mark,
            )
            await watch.until(
                lambda s: (
                    s.channel("default").state is ChannelState.ONLINE
                    and s.channel("default").reconnects == before + 1
                ),
                STEP_TIMEOUT,
                "default reconnected",
            )
            # the healthy practice socket stayed up (P7) and carries the captions (P8)
            if client.snapshot.channel("practice").connects != practice_connects:
                raise AssertionError("the practice socket was torn down with the default")
            await watch.event(
                lambda e: e.kind is EventKind.TRANSCRIPT and e.channel == "practice",
                STEP_TIMEOUT,
                "captions go on on practice, the publish transport",
                watch.mark(),
            )

        async def token_expiry() -> None:
            mark = watch.mark()
            await host.tokens(MEETING, "expire", "llm-default-session")
            await host.rotate(MEETING, "default")  # a new URL: registration is due
            await watch.event(
                lambda e: (
                    e.kind is EventKind.HTTP
                    and e.data.get("status") in (401, 403)
                    and e.channel == "default"
                ),
                STEP_TIMEOUT,
                "registration refused (401)",
                mark,
            )
            await watch.event(
                lambda e: e.kind is EventKind.HTTP and e.data.get("retried") is True,
                STEP_TIMEOUT,
                "registered again after refresh + retry",
                mark,
            )
            await watch.until(
                lambda s: s.channel("default").state is ChannelState.ONLINE,
                STEP_TIMEOUT,
                "default online",
            )

        async def leave() -> None:
            await client.leave()
            state = await host.state(MEETING)
            me = next(p for p in state["participants"] if p["participantId"] == pid[0])
            live = sum(len(c["sockets"]) for k, c in me["channels"].items() if k != "device")
            if me["phase"] != "left" or live:
                raise AssertionError(f"simulator shows phase {me['phase']}, {live} live sockets")

        try:
            steps = [
                ("join -> lobby", join),
                ("admit -> default online + transcription", admit),
                ("practice session + promotion -> practice online", promote),
                ("drop default (1006) -> reconnect, practice kept", drop_default),
                ("token expiry -> 401 -> refresh + retry", token_expiry),
                ("leave -> nothing left open", leave),
            ]
            for name, action in steps:
                if not await step(name, action):
                    break
        finally:
            watch.close()
            await client.close()
    return results
