"""A recorded session with three disruptions (issue 13), and what the simulator saw.

The simulator's own view is read from its state (`Simulator.wait_for`, woken by its change
signal) and its control answers; the times are taken when the simulator's state shows each
step, so incident figures can be checked against them. Nothing here sleeps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.events import ChannelState, EventKind
from app.core.meeting import MeetingClient
from app.core.settings import TEST
from app.core.watch import Watch
from app.scenario.actionlog import ActionSink, LoggedClient, LoggedSim
from app.scenario.recording import Recorder
from app.sim import SimControl, Simulator

T = 10.0
RATE = 20  # captions per second
# a 401 wait long enough to measure; HTTP may take longer than a 2 s token slowdown
SETTINGS = TEST.with_(auth_retry_delay=0.5, http_timeout=5.0)
MEETING = "incidents"


@dataclass
class SimSaw:
    """Wall times (time.time()) when the simulator's state showed each thing."""

    actions: dict[str, float] = field(default_factory=dict)  # control call answered
    answers: dict[str, Any] = field(default_factory=dict)
    new_socket: dict[str, float] = field(default_factory=dict)  # a new live socket, subscribed
    token_iat: int | None = None  # the re-issued token's iat (the simulator's clock, s)
    registered: float | None = None  # registrations count went up after the rotation


def _sockets(sim: Simulator) -> list[dict[str, Any]]:
    return sim.state_view(MEETING)["participants"][0]["channels"]["default"]["sockets"]


async def _new_subscribed_socket(sim: Simulator, old: set[str]) -> str:
    def check(s: Simulator) -> str | None:
        for sock in _sockets(s):
            if sock["id"] not in old and "transcription" in sock["subscriptions"]:
                return str(sock["id"])
        return None

    return await sim.wait_for(check, T)


async def record_three_disruptions(path: Path, token_delay_ms: int | None = None) -> SimSaw:
    saw = SimSaw()
    async with Simulator() as sim, SimControl(sim.base_url) as raw:
        sink = ActionSink()
        host = LoggedSim(raw, sink)
        core = MeetingClient(sim.base_url, "user-token-incidents", SETTINGS, "Incidents")
        recorder = Recorder(core.hub, path, server=sim.base_url, profile="test", meeting=MEETING)
        sink.forward(recorder.action)
        client = LoggedClient(core, sink)
        watch = Watch(core.hub, core.snapshot)

        async def captions(n: int = 5) -> None:
            mark = watch.mark()
            await watch.count(lambda e: e.kind is EventKind.TRANSCRIPT, n, T, "captions", mark)

        async def act(name: str, coro: Any) -> Any:
            answer = await coro
            saw.actions[name] = time.time()
            saw.answers[name] = answer
            return answer

        try:
            await host.create_meeting(MEETING, lobby=False, webinar=False)
            await host.transcription(MEETING, RATE)
            if token_delay_ms is not None:  # PROTOCOL.md 6: {endpoint: token, mode: slow}
                await host.fault("token", "slow", delay_ms=token_delay_ms)
            await client.join(MEETING, "Incidents")
            await watch.until(
                lambda s: s.channel("default").state is ChannelState.ONLINE, T, "online"
            )
            await captions()

            # 1: a 1006 reset
            old = {s["id"] for s in _sockets(sim)}
            await act("reset", host.socket(MEETING, "default", "reset"))
            await _new_subscribed_socket(sim, old)
            saw.new_socket["reset"] = time.time()
            await captions()

            # 2: a half-open socket
            old = {s["id"] for s in _sockets(sim)}
            await act("halfopen", host.socket(MEETING, "default", "halfopen"))
            await _new_subscribed_socket(sim, old)
            saw.new_socket["halfopen"] = time.time()
            await captions()

            # 3: the token expires, then the URL rotates (401, wait, refresh, retry)
            old = {s["id"] for s in _sockets(sim)}
            before = sim.state_view(MEETING)["participants"][0]
            registrations = before["channels"]["default"]["registrations"]
            tokens = len(before["tokens"])
            await act("expire", host.tokens(MEETING, "expire", "llm-default-session"))
            await act("rotate", host.rotate(MEETING, "default"))
            await sim.wait_for(
                lambda s: (
                    s.state_view(MEETING)["participants"][0]["channels"]["default"]["registrations"]
                    > registrations
                ),
                T,
            )
            saw.registered = time.time()
            await _new_subscribed_socket(sim, old)
            saw.new_socket["rotate"] = time.time()
            issued = sim.state_view(MEETING)["participants"][0]["tokens"]
            assert len(issued) == tokens + 1
            saw.token_iat = int(issued[-1]["iat"])
            await captions()
            await client.leave()
            await watch.until(lambda s: s.badge == "Left", T, "left")
        finally:
            watch.close()
            await core.close()
            recorder.close()
    return saw
