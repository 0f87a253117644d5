"""Bugs the chaos run found (app/chaos), each as a focused scenario against the real simulator.

1. two joins while the device was still registering: two devices, two reconcilers per
   channel (one leaked), the first device socket "replaced" by the second;
2. leave while the join answer was in flight: the participant the join created stayed in
   the meeting on the server forever (a ghost);
3. leave while the backend was down: the server never learned of it;
4. leave, then join at once: the new generation started while the old one's sockets were
   still closing, and the old leave's "Left" landed in the new meeting's timeline;
5. a locus about an earlier participant of ours in the same meeting (delayed on the device
   socket) was applied to the current one, tearing its channels down;
6. a join whose answer never came (timed out, or the backend died) although the server had
   acted: the participant stayed on the server. Undone when the server's device-socket
   push revealed it; when the backend dies before even that, the client cannot know (the
   chaos run tolerates and counts that case);
7. a token refresh while the leave's teardown was still running stored a token of the
   meeting just left;
8. admitted while the join's answer was in flight: the client stayed in the lobby;
9. found by the long run in the first fix of 8: a superseded join took the pending push of
   the join that superseded it;
10. moved to the lobby and admitted again, with the socket's "permanent" close seen before
   the lobby push: the default channel stayed halted and never came back.
"""

from __future__ import annotations

import asyncio

import pytest

from app.core.desired import CommandError
from app.core.events import EventKind
from app.core.locus import DEFAULT_TOKEN
from app.core.meeting import JoinError, MeetingClient
from app.core.settings import TEST
from app.core.tokens import StaleTokenError
from app.sim import Simulator

from .helpers import T, admitted_online, channel, kind, me, online

USER_TOKEN = "chaos-found-user-token-1234"


def reconcilers() -> dict[str, int]:
    names = [t.get_name() for t in asyncio.all_tasks()]
    return {n: names.count(n) for n in ("ch-device", "ch-default", "ch-practice")}


async def test_two_joins_while_starting_share_one_device_and_one_reconciler(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    await host.create_meeting("cf1", lobby=False, webinar=False)
    results = await asyncio.gather(client.join("cf1"), client.join("cf1"), return_exceptions=True)
    assert [type(r) for r in results].count(JoinError) == 1  # the first was superseded
    await watch.until(online("default"), T, "default online")
    assert sum(1 for e in watch.events if e.summary == "device registered") == 1
    assert len(sim.engine.model.devices) == 1
    assert reconcilers() == {"ch-device": 1, "ch-default": 1, "ch-practice": 1}
    assert not [e for e in watch.events if e.kind is EventKind.CLOSED]  # nothing replaced
    live = [p for p in sim.state_view("cf1")["participants"] if p["phase"] != "left"]
    assert [p["participantId"] for p in live] == [client.snapshot.participant_id]


async def test_leave_while_the_join_answer_is_in_flight_leaves_no_ghost(
    sim, host, make_client
) -> None:
    client, _ = make_client()
    await host.create_meeting("cf2", lobby=True, webinar=False)
    await client.start()
    await host.fault("join", "slow", delay_ms=600, count=1)  # the server acts, answers late
    join = asyncio.create_task(client.join("cf2"))
    await sim.wait_for(lambda s: s.state_view("cf2")["participants"][0], T)
    await client.leave()
    with pytest.raises(JoinError, match="superseded"):
        await join
    await sim.wait_for(
        lambda s: all(p["phase"] == "left" for p in s.state_view("cf2")["participants"]), T
    )
    assert client.snapshot.badge in ("Left", "Not joined")


async def test_leave_while_the_backend_is_down_reaches_it_once_it_is_back(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "cf3", lobby=False)
    store, port = sim.store, sim.port
    await sim.kill()
    await client.leave()
    failed = await watch.event(kind(EventKind.ERROR, "meeting"), T, "leave failure shown")
    assert "retrying until the server confirms" in failed.summary
    assert client.snapshot.badge == "Left"  # left locally at once
    back = Simulator(port=port, store=store)
    await back.start()
    try:
        await back.wait_for(lambda s: me(s.state_view("cf3"), pid)["phase"] == "left", T)
        await watch.event(
            lambda e: e.summary.startswith("leave confirmed by the server"), T, "confirmed"
        )
        assert me(back.state_view("cf3"), pid)["leftReason"] == "participant left"
    finally:
        await client.close()
        await back.stop()


async def test_a_join_right_after_leave_waits_for_the_old_generation_to_end(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    old_pid = await admitted_online(client, watch, host, "cf4", lobby=False)
    old = client.snapshot.generation
    await asyncio.gather(client.leave(), client.join("cf4"))
    await watch.until(online("default"), T, "new generation online")
    first_new = next(i for i, e in enumerate(watch.events) if e.generation > old + 1)
    late = [e for e in watch.events[first_new:] if e.generation == old]
    assert late == [], f"old generation still acting: {[e.summary for e in late]}"
    labels = [m.label for m in client.snapshot.timeline]
    assert "Left" not in labels and labels[0] == "Joining", labels
    # the old participant was told to leave before the new one joined (not "replaced")
    assert me(sim.state_view("cf4"), old_pid)["leftReason"] == "participant left"


async def test_a_delayed_locus_about_our_previous_participant_is_ignored(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    await admitted_online(client, watch, host, "cf5", lobby=False)
    await host.socket("cf5", "device", "latency", ms=250)  # pushes now arrive 250 ms late
    await client.leave()  # the server pushes "P1 left" (late)
    mark = watch.mark()
    await client.join("cf5")  # answered at once: P2 joined
    pid = client.snapshot.participant_id
    await watch.until(online("default"), T, "P2 online")
    # the late "P1 left", then the late "P2 joined", arrive; neither disturbs P2's channel
    await watch.count(kind(EventKind.RTT, "device"), 3, T, "late pushes delivered", mark)
    await asyncio.sleep(0)  # let the last push be applied
    assert client.snapshot.badge == "Admitted"
    assert client.snapshot.channel("default").state.value == "online"
    assert not [e for e in watch.events[mark:] if e.summary == "phase left"]
    assert channel(sim.state_view("cf5"), pid, "default")["registrations"] == 1


async def test_a_join_that_times_out_after_the_server_acted_leaves_no_ghost(sim, host) -> None:
    client = MeetingClient(sim.base_url, USER_TOKEN, TEST.with_(http_timeout=0.4))
    try:
        await host.create_meeting("cf6", lobby=False, webinar=False)
        await client.start()
        await host.fault("join", "slow", delay_ms=1500, count=1)  # acts now, answers too late
        with pytest.raises(JoinError, match="timed out"):
            await client.join("cf6")
        # the server pushed the new participant on the device socket meanwhile: it is left
        await sim.wait_for(
            lambda s: [p["phase"] for p in s.state_view("cf6")["participants"]] == ["left"], T
        )
    finally:
        await client.close()


async def test_a_token_refresh_while_leaving_stores_nothing(sim, host, make_client) -> None:
    """7. refresh asked for while the leave's teardown still ran: the token was fetched for
    the "left" generation (current, but no longer live) and stored after the leave."""
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "cf7", lobby=False)
    leaving = asyncio.create_task(client.leave())
    await asyncio.sleep(0)  # the generation has ended; sockets are still closing
    assert client.snapshot.badge == "Left"
    with pytest.raises(CommandError, match="not in a meeting"):
        await client.refresh_token(DEFAULT_TOKEN)
    with pytest.raises(StaleTokenError):  # the channel-facing path refuses it too
        await client.fetch_token(DEFAULT_TOKEN, client.snapshot.generation)
    await leaving
    assert client.tokens.slots() == {}
    issued = me(sim.state_view("cf7"), pid)["tokens"]
    assert len(issued) == 1  # only the join answer's: nothing was fetched after leave


async def test_admitted_while_the_join_answer_is_in_flight(sim, host, make_client) -> None:
    """8. the host admitted the guest while the join's answer was still on its way: the
    "admitted" push arrived first and was dropped, the (older) answer said "lobby", and
    the client showed the lobby for good."""
    client, watch = make_client()
    await host.create_meeting("cf8", lobby=True, webinar=False)
    await client.start()
    await host.fault("join", "slow", delay_ms=300, count=1)  # the answer is 300 ms late
    join = asyncio.create_task(client.join("cf8"))
    await sim.wait_for(lambda s: s.state_view("cf8")["participants"][0], T)
    await host.admit("cf8")  # pushed on the device socket before the answer arrives
    await join
    await watch.until(online("default"), T, "admitted and online")
    assert client.snapshot.badge == "Admitted"


async def test_a_superseded_join_does_not_swallow_the_next_joins_pushes(
    sim, host, make_client
) -> None:
    """9. (in the fix of 8) join, join again at once, the host ends the practice session
    while the second answer is on its way: the first (superseded) join's answer took the
    second one's pending push with it, and the client kept showing a practice session."""
    client, watch = make_client()
    await host.create_meeting("cf9", lobby=False, webinar=True)
    await host.practice_session("cf9", True)
    await client.start()
    await host.fault("join", "slow", delay_ms=300, count=2)
    first = asyncio.create_task(client.join("cf9"))
    await sim.wait_for(lambda s: len(s.state_view("cf9")["participants"]) == 1, T)
    second = asyncio.create_task(client.join("cf9"))
    await sim.wait_for(lambda s: len(s.state_view("cf9")["participants"]) == 2, T)
    await host.practice_session("cf9", False)  # pushed before either answer arrives
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert isinstance(results[0], JoinError) and results[1] is None
    await watch.until(online("default"), T, "joined")
    assert client.snapshot.practice_enabled is False


async def test_readmitted_after_a_permanent_close_seen_before_the_lobby_push(
    sim, host, make_client
) -> None:
    """10. back to the lobby: the default socket's close (1000 "moved to the lobby", which
    the table calls permanent) arrived before the lobby push (here: the push is late on the
    device socket). The channel stayed halted on that key, and when the host admitted the
    guest again, the same key was wanted again and never reconnected: no captions."""
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "cf10", lobby=True)
    await host.socket("cf10", "device", "latency", ms=200)
    mark = watch.mark()
    await host.to_lobby("cf10", pid)
    closed = await watch.event(kind(EventKind.CLOSED, "default"), T, "closed first", mark)
    assert closed.data["action"] == "stay offline (permanent)"
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby (late push)")
    await host.admit("cf10")
    await watch.until(online("default"), T, "online again after the re-admission")
    assert channel(sim.state_view("cf10"), pid, "default")["registrations"] == 2
