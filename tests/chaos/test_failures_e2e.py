"""Failures end to end: a clear message in the event log, the app keeps running, nothing
recorded is lost (the event log stays complete and exports completely).

- the backend is unreachable at start, then comes up;
- the backend's name does not resolve (a `.invalid` name, answered by a resolver stub: no
  DNS server is ever asked);
- the backend is killed mid-session and a new one starts on the same port with the same
  state (a restarted server): the client reconnects and resyncs without any user action.
"""

from __future__ import annotations

import io
import json
import socket
import time

import pytest

from app.chaos.netguard import ResolverStub
from app.core.events import ChannelState, CoreEvent, EventKind
from app.core.meeting import JoinError, MeetingClient
from app.core.settings import TEST
from app.core.watch import Watch
from app.sim import SimControl, Simulator

T = 8.0
USER = "failures-user-token-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_complete(events: list[CoreEvent]) -> None:
    """Every event is there, in order, and all of them export (JSONL, as the window does)."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    out = io.StringIO()
    for e in events:
        out.write(json.dumps(e.to_json()) + "\n")
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [e.seq for e in events]


def online(name: str):  # type: ignore[no-untyped-def]
    def check(s):  # type: ignore[no-untyped-def]
        ch = s.channel(name)
        return ch.state is ChannelState.ONLINE and "transcription" in ch.confirmed

    return check


async def test_backend_unreachable_at_start_then_it_comes_up() -> None:
    port = free_port()
    client = MeetingClient(f"http://127.0.0.1:{port}", USER, TEST)
    watch = Watch(client.hub, client.snapshot)
    try:
        with pytest.raises(JoinError, match="cannot connect"):
            await client.join("late")
        error = next(e for e in watch.events if e.kind is EventKind.ERROR)
        assert f"127.0.0.1:{port}" in error.summary and "cannot connect" in error.summary
        assert client.snapshot.last_error == error.summary
        before = list(watch.events)
        async with Simulator(port=port) as sim, SimControl(sim.base_url) as host:
            await host.create_meeting("late", lobby=False, webinar=False)
            await client.join("late")  # the same client, no restart of the app
            await watch.until(online("default"), T, "default online once the backend is up")
        assert watch.events[: len(before)] == before  # nothing recorded before was lost
        assert_complete(watch.events)
    finally:
        watch.close()
        await client.close()


async def test_a_name_that_does_not_resolve_fails_fast_and_clearly(
    resolver: ResolverStub,
) -> None:
    client = MeetingClient("https://dcmon-backend.invalid:8443", USER, TEST)
    watch = Watch(client.hub, client.snapshot)
    try:
        started = time.monotonic()
        with pytest.raises(JoinError) as info:
            await client.join("m")
        assert time.monotonic() - started < 3
        message = str(info.value)
        assert "cannot resolve host name 'dcmon-backend.invalid'" in message
        assert "Traceback" not in message
        assert any("cannot resolve host name" in e.summary for e in watch.events)
        assert resolver.refused == ["dcmon-backend.invalid"]  # asked the stub, nobody else
        assert_complete(watch.events)
    finally:
        watch.close()
        await client.close()


async def test_backend_killed_mid_session_and_restarted_on_the_same_port() -> None:
    sim = Simulator()
    await sim.start()
    client = MeetingClient(sim.base_url, USER, TEST)
    watch = Watch(client.hub, client.snapshot)
    back: Simulator | None = None
    try:
        async with SimControl(sim.base_url) as host:
            await host.create_meeting("k", lobby=False, webinar=True)
            await client.join("k")
            await watch.until(online("default"), T, "default online")
            pid = client.snapshot.participant_id
            assert pid is not None
            await host.practice_session("k", True)
            await host.set_roles("k", pid, ["PANELIST"])
            await host.transcription("k", 20)
            await watch.until(online("practice"), T, "practice online")
        before = {n: client.snapshot.channel(n).reconnects for n in ("default", "practice")}
        mark = watch.mark()
        store, port = sim.store, sim.port
        await sim.kill()  # every link reset: no close frame, no answer
        await watch.until(
            lambda s: all(
                s.channel(n).state is not ChannelState.ONLINE
                for n in ("device", "default", "practice")
            ),
            T,
            "every socket noticed the backend is gone",
        )
        down = await watch.event(
            lambda e: e.kind is EventKind.ERROR and "server down" in e.summary,
            T,
            "a clear 'server down' message",
            mark,
        )
        assert down.channel in ("device", "default", "practice")
        back = Simulator(port=port, store=store)
        await back.start()
        # no user action from here on
        # transcription lives on the publish transport: practice while it is connected (P8)
        await watch.until(
            lambda s: s.channel("default").state is ChannelState.ONLINE and online("practice")(s),
            T,
            "both channels back",
        )
        after = watch.mark()
        await watch.event(
            lambda e: e.kind is EventKind.TRANSCRIPT and e.channel == "practice",
            T,
            "captions resume",
            after,
        )
        await watch.event(
            lambda e: e.kind is EventKind.HTTP and e.data.get("what") == "resync"
            and e.data.get("status") == 200,
            T,
            "locus resynced after the device socket came back",
            mark,
        )  # fmt: skip
        snap = client.snapshot
        assert snap.badge == "Practice session"
        assert all(snap.channel(n).reconnects == before[n] + 1 for n in before)
        me = next(p for p in back.state_view("k")["participants"] if p["participantId"] == pid)
        assert me["phase"] == "joined"
        assert [len(me["channels"][n]["sockets"]) for n in ("device", "default", "practice")] == [
            1,
            1,
            1,
        ]
        assert_complete(watch.events)
    finally:
        watch.close()
        await client.close()
        await sim.stop()
        if back is not None:
            await back.stop()
