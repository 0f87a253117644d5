"""SCENARIOS.md R1-R6: reconnect, resubscribe, close codes, half-open, backoff."""

from __future__ import annotations

import itertools

import pytest

from app.core.backoff import Backoff
from app.core.events import ChannelState, EventKind
from app.core.settings import TEST

from .helpers import T, admitted_online, channel, kind, me, online, state_is


async def test_r1_dropped_1006_reconnects_and_resubscribes(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "r1", lobby=False)
    await host.transcription("r1", 20)
    old = channel(sim.state_view("r1"), pid, "default")["sockets"][0]["id"]
    mark = watch.mark()
    await host.socket("r1", "default", "reset")  # no close frame: 1006 on our side
    closed = await watch.event(kind(EventKind.CLOSED, "default"), T, "closed", mark)
    # R8: no close frame is 1006, as the SDK's `ws` reports it, never None
    assert closed.data["code"] == 1006 and closed.data["action"] == "reconnect"
    await watch.until(
        lambda s: online("default")(s) and s.channel("default").reconnects == 1, T, "back"
    )
    socks = channel(sim.state_view("r1"), pid, "default")["sockets"]
    assert [s["subscriptions"] for s in socks] == [["transcription"]] and socks[0]["id"] != old
    after = watch.mark()
    await watch.event(kind(EventKind.TRANSCRIPT, "default"), T, "captions resume", after)


async def test_r2_resubscribe_send_fails_is_caught_and_retried_on_next_online(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "r2", lobby=False)
    mark = watch.mark()
    client.drop("default", "close")  # the socket starts closing ...
    client.resubscribe("default")  # ... so this send fails
    failed = await watch.event(kind(EventKind.SUBSCRIBE_FAILED, "default"), T, "failure", mark)
    assert "will resubscribe" in failed.summary
    await watch.until(
        lambda s: online("default")(s) and s.channel("default").reconnects == 1, T, "resubscribed"
    )
    socks = channel(sim.state_view("r2"), pid, "default")["sockets"]
    assert [s["subscriptions"] for s in socks] == [["transcription"]]


async def test_r3_left_meeting_never_reacts_to_the_next_one(sim, host, make_client) -> None:
    client, watch = make_client()
    pid_a = await admitted_online(client, watch, host, "r3a", lobby=False)
    gen_a = client.snapshot.generation
    regs_a = channel(sim.state_view("r3a"), pid_a, "default")["registrations"]
    await client.leave()
    left = watch.mark()
    pid_b = await admitted_online(client, watch, host, "r3b", lobby=False)
    await host.socket("r3b", "default", "reset")
    await watch.until(
        lambda s: online("default")(s) and s.channel("default").reconnects == 1, T, "b back"
    )
    assert not [e for e in watch.events[left:] if e.generation == gen_a]
    state_a = sim.state_view("r3a")
    assert channel(state_a, pid_a, "default")["sockets"] == []
    assert channel(state_a, pid_a, "default")["registrations"] == regs_a
    assert me(state_a, pid_a)["phase"] == "left"
    assert channel(sim.state_view("r3b"), pid_b, "default")["registrations"] == 1


@pytest.mark.parametrize(
    ("code", "reason", "reconnects", "final"),
    [
        (4000, "replaced", False, ChannelState.REPLACED),
        # any reason: mercury.js _onclose `case 4000` stays offline (PROTOCOL.md v2)
        (4000, "server restarting", False, ChannelState.REPLACED),
        (1000, "pong not received", True, ChannelState.ONLINE),
        (1003, "unsupported data", False, ChannelState.CLOSED),
        # 4001 on the active socket with no shutdown before it: permanent (mercury.js)
        (4001, "shutdown", False, ChannelState.CLOSED),
    ],
)
async def test_r4_close_code_decisions(
    sim, host, make_client, code, reason, reconnects, final
) -> None:
    client, watch = make_client()
    meeting = f"r4-{code}-{reason.split()[0]}"
    pid = await admitted_online(client, watch, host, meeting, lobby=False)
    mark = watch.mark()
    await host.socket(meeting, "default", "close", code=code, reason=reason)
    closed = await watch.event(kind(EventKind.CLOSED, "default"), T, "closed", mark)
    assert closed.data["code"] == code and closed.data["reason"] == reason
    await watch.until(state_is("default", final), T, f"default {final.value}")
    if not reconnects:
        # the device socket's pings prove time passes; no retry happens meanwhile
        await watch.count(kind(EventKind.RTT, "device"), 3, T, "3 device pings", watch.mark())
        assert client.snapshot.channel("default").state is final
        assert channel(sim.state_view(meeting), pid, "default")["sockets"] == []
        assert not [e for e in watch.events[mark:] if kind(EventKind.RETRY, "default")(e)]
    else:
        assert client.snapshot.channel("default").reconnects == 1


async def test_r5_half_open_is_declared_dead_after_pong_timeout(sim, host, make_client) -> None:
    client, watch = make_client()
    await admitted_online(client, watch, host, "r5", lobby=False)
    mark = watch.mark()
    await host.socket("r5", "default", "halfopen")
    closed = await watch.event(kind(EventKind.CLOSED, "default"), T, "declared dead", mark)
    assert closed.data["reason"] == "Pong not received" and closed.data["by_client"] is True
    await watch.until(
        lambda s: online("default")(s) and s.channel("default").reconnects == 1, T, "reconnected"
    )


async def test_r6_backoff_schedule_while_server_is_down_and_leave_cancels_retry(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "r6", lobby=False)
    # the service is down from now on (500: a 503 would also get the locus retry, T6)
    await host.fault("register", "error", status=500)
    mark = watch.mark()
    await host.rotate("r6", "default")  # forces a registration: every attempt fails
    retries = await watch.count(kind(EventKind.RETRY, "default"), 6, T, "6 retries", mark)
    delays = [e.data["delay"] for e in retries[:6]]
    expected = Backoff(TEST.backoff_reset, TEST.backoff_max, TEST.backoff_factor).schedule(6)
    assert delays == expected  # 0, 1, 2, 4, 8 ... x reset, capped (the SDK's 0,1,2,4..32 s)
    # measured gaps between failed attempts are at least the scheduled delays
    errors = [e for e in watch.events[mark:] if kind(EventKind.ERROR, "default")(e)][:6]
    gaps = [b.t - a.t for a, b in itertools.pairwise(errors)]
    assert all(gap >= d * 0.9 for gap, d in zip(gaps, expected, strict=False))
    await watch.until(state_is("default", ChannelState.RECONNECTING), T, "a retry pending")
    await client.leave()
    left = watch.mark()
    await host.clear_faults()
    await watch.count(kind(EventKind.RTT, "device"), 3, T, "time passes", left)
    assert not [
        e for e in watch.events[left:] if e.channel == "default" and e.kind is EventKind.RETRY
    ]
    assert channel(sim.state_view("r6"), pid, "default")["sockets"] == []
    assert client.snapshot.channel("default").state is ChannelState.OFFLINE


async def test_r7_shutdown_switchover_make_before_break(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "r7", lobby=False)
    await host.transcription("r7", 50)
    old = channel(sim.state_view("r7"), pid, "default")["sockets"][0]["id"]
    mark = watch.mark()
    await host.socket("r7", "default", "shutdown")
    await watch.event(
        lambda e: kind(EventKind.SWITCHOVER, "default")(e) and "replacement online" in e.summary,
        T,
        "replacement online",
        mark,
    )
    retired = await watch.event(
        lambda e: kind(EventKind.CLOSED, "default")(e) and e.data.get("retired") is True,
        T,
        "the old socket's 4001",
        mark,
    )
    assert retired.data["code"] == 4001 and "nothing" in retired.data["action"]
    socks = channel(sim.state_view("r7"), pid, "default")["sockets"]
    assert [s["subscriptions"] for s in socks] == [["transcription"]] and socks[0]["id"] != old
    window = watch.events[mark:]
    # never left online: no reconnect, no retry, no state change of the channel
    assert not [e for e in window if e.channel == "default" and e.kind is EventKind.STATE
                and "online ->" in e.summary]  # fmt: skip
    assert not [e for e in window if kind(EventKind.RETRY, "default")(e)]
    snap = client.snapshot.channel("default")
    assert snap.switchovers == 1 and snap.reconnects == 0 and snap.state is ChannelState.ONLINE
    # captions carry on: the replacement was subscribed before the old socket went
    subscribed = next(i for i, e in enumerate(window) if "subscription requested" in e.summary)
    closed_at = window.index(retired)
    assert subscribed < closed_at
    after = watch.mark()
    await watch.count(kind(EventKind.TRANSCRIPT, "default"), 3, T, "captions go on", after)


async def test_r7_two_switchovers_then_the_replacement_drops(sim, host, make_client) -> None:
    """The second shutdown gets its own switchover (the first one's promotion is not taken
    for it), and the session serves the socket it switched to: when that one drops, the
    channel reconnects as after any drop."""
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "r7b", lobby=False)
    switched = kind(EventKind.SWITCHOVER, "default")
    for n in (1, 2):
        mark = watch.mark()
        await host.socket("r7b", "default", "shutdown")
        await watch.event(
            lambda e: switched(e) and "replacement online" in e.summary,
            T,
            f"replacement {n} online",
            mark,
        )
        await watch.event(
            lambda e: kind(EventKind.CLOSED, "default")(e) and e.data.get("retired") is True,
            T,
            f"the old socket's 4001 ({n})",
            mark,
        )
        window = watch.events[mark:]
        assert not [e for e in window if switched(e) and e.data.get("failed")]
        assert client.snapshot.channel("default").switchovers == n
    mark = watch.mark()
    await host.socket("r7b", "default", "reset")
    closed = await watch.event(kind(EventKind.CLOSED, "default"), T, "replacement dropped", mark)
    assert closed.data["code"] == 1006 and not closed.data.get("retired")
    await watch.until(
        lambda s: (
            s.channel("default").state is ChannelState.ONLINE
            and "transcription" in s.channel("default").confirmed
            and s.channel("default").reconnects == 1
        ),
        T,
        "online and subscribed again after the drop",
    )
    assert len(channel(sim.state_view("r7b"), pid, "default")["sockets"]) == 1


async def test_r8_lost_without_close_frame_is_1006(sim, host, make_client) -> None:
    client, watch = make_client()
    await admitted_online(client, watch, host, "r8", lobby=False)
    for name in ("default", "device"):
        mark = watch.mark()
        await host.socket("r8", name, "reset")
        closed = await watch.event(kind(EventKind.CLOSED, name), T, f"{name} closed", mark)
        assert closed.data["code"] == 1006 and closed.data["action"] == "reconnect"
        assert "1006" in closed.summary and "None" not in closed.summary
        await watch.until(
            lambda s, n=name: (
                s.channel(n).state is ChannelState.ONLINE and s.channel(n).last_close is not None
            ),
            T,
            f"{name} back",
        )
        last = client.snapshot.channel(name).last_close
        assert last is not None and last.code == 1006
        assert client.snapshot.to_json()["channels"][name]["last_close"]["code"] == 1006


async def test_socket_url_refused_404_registers_again(sim, host, make_client) -> None:
    """SDK_DIFFERENCES.md row 5: 3.12.0 retries a refused URL forever (case 4404 commented
    out); dcmon registers again. The device socket is kept down (4000: no locus pushes), so
    the client learns of the rotation only from the 404."""
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "r404", lobby=False)
    await host.socket("r404", "device", "close", code=4000, reason="replaced")
    await watch.until(state_is("device", ChannelState.REPLACED), T, "no more pushes")
    await host.rotate("r404", "default")
    mark = watch.mark()
    await host.socket("r404", "default", "reset")
    await watch.event(
        lambda e: e.channel == "default" and "no longer valid (404)" in e.summary,
        T,
        "the old webSocketUrl is refused",
        mark,
    )
    await watch.until(
        lambda s: (
            s.channel("default").state is ChannelState.ONLINE
            and s.channel("default").registrations == 2
        ),
        T,
        "registered again and online",
    )
    assert channel(sim.state_view("r404"), pid, "default")["registrations"] == 2
