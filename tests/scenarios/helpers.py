"""Small helpers shared by the scenario tests (no fakes: they read real simulator state)."""

from __future__ import annotations

from typing import Any

from app.core.events import ChannelState, CoreEvent, EventKind, MeetingSnapshot
from app.core.meeting import MeetingClient
from app.core.watch import Watch
from app.sim import SimControl, Simulator

T = 5.0  # deadline for anything that should happen "promptly" on loopback


def me(state: dict[str, Any], pid: str | None = None) -> dict[str, Any]:
    people = state["participants"]
    if pid is None:
        return people[-1]
    return next(p for p in people if p["participantId"] == pid)


def channel(state: dict[str, Any], pid: str | None, name: str) -> dict[str, Any]:
    return me(state, pid)["channels"][name]


def issued(state: dict[str, Any], pid: str | None, token_type: str) -> int:
    return sum(1 for t in me(state, pid)["tokens"] if t["tokenType"] == token_type)


def online(name: str, confirmed: bool = True):  # type: ignore[no-untyped-def]
    def check(s: MeetingSnapshot) -> bool:
        ch = s.channel(name)
        return ch.state is ChannelState.ONLINE and (
            not confirmed or "transcription" in ch.confirmed
        )

    return check


def state_is(name: str, *states: ChannelState):  # type: ignore[no-untyped-def]
    return lambda s: s.channel(name).state in states


def kind(k: EventKind, ch: str | None = None, **data: Any):  # type: ignore[no-untyped-def]
    def check(e: CoreEvent) -> bool:
        return (
            e.kind is k
            and (ch is None or e.channel == ch)
            and all(e.data.get(key) == value for key, value in data.items())
        )

    return check


async def admitted_online(
    client: MeetingClient, watch: Watch, host: SimControl, meeting: str, **create: Any
) -> str:
    """Create a meeting, join, admit if there is a lobby; return once default is subscribed."""
    await host.create_meeting(meeting, **{"lobby": True, "webinar": True, **create})
    await client.join(meeting)
    if create.get("lobby", True):
        await watch.until(lambda s: s.badge == "Lobby", T, "in lobby")
        await host.admit(meeting)
    await watch.until(online("default"), T, "default online and subscribed")
    pid = client.snapshot.participant_id
    assert pid is not None
    return pid


async def panelist_in_practice(
    client: MeetingClient, watch: Watch, host: SimControl, meeting: str
) -> str:
    pid = await admitted_online(client, watch, host, meeting, lobby=False)
    await host.practice_session(meeting, True)
    await host.set_roles(meeting, pid, ["PANELIST"])
    await watch.until(online("practice"), T, "practice online and subscribed")
    return pid


async def sim_state(sim: Simulator, meeting: str) -> dict[str, Any]:
    return sim.state_view(meeting)
