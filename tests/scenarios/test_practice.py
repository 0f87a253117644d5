"""SCENARIOS.md P1-P6: the webinar practice session's second data channel."""

from __future__ import annotations

from app.core.events import ChannelState, EventKind, MeetingSnapshot

from .helpers import T, admitted_online, channel, kind, online, panelist_in_practice, state_is

PRACTICE = "llm-practice-session"


def practice_came_online_only_with_default(snaps: list[MeetingSnapshot]) -> bool:
    """Every snapshot where practice turns online has the default online."""
    prev = None
    for s in snaps:
        ps = s.channel("practice").state
        if ps is ChannelState.ONLINE and prev is not ChannelState.ONLINE:
            if s.channel("default").state is not ChannelState.ONLINE:
                return False
        prev = ps
    return True


def record_snapshots(client) -> list[MeetingSnapshot]:  # type: ignore[no-untyped-def]
    snaps: list[MeetingSnapshot] = []
    client.hub.on_snapshot(snaps.append)
    return snaps


async def test_p1_promoted_attendee_gets_practice_channel_default_untouched(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "p1", lobby=False)
    await host.practice_session("p1", True)
    default_socket = channel(sim.state_view("p1"), pid, "default")["sockets"][0]["id"]
    assert client.tokens.get(PRACTICE) is None  # an attendee has no practice token
    await host.set_roles("p1", pid, ["PANELIST"])
    await watch.until(online("practice"), T, "practice online + transcription confirmed")
    state = sim.state_view("p1")
    assert channel(state, pid, "practice")["registrations"] == 1
    assert channel(state, pid, "practice")["sockets"][0]["subscriptions"] == ["transcription"]
    assert client.tokens.get(PRACTICE) is not None
    # the default channel was not touched
    assert [s["id"] for s in channel(state, pid, "default")["sockets"]] == [default_socket]
    assert client.snapshot.channel("default").connects == 1
    assert channel(state, pid, "default")["registrations"] == 1


async def test_p2_practice_ends_during_its_token_fetch(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "p2", lobby=False)
    await host.practice_session("p2", True)
    await host.fault("token", "hang")
    await host.set_roles("p2", pid, ["PANELIST"])
    await watch.until(state_is("practice", ChannelState.FETCHING_TOKEN), T, "fetching")
    await host.practice_session("p2", False)
    await watch.until(state_is("practice", ChannelState.OFFLINE), T, "practice offline")
    await host.clear_faults()
    # a later token event for the default proves time passed with the loop running
    await client.refresh_token("llm-default-session")
    assert client.tokens.get(PRACTICE) is None
    state = sim.state_view("p2")
    assert channel(state, pid, "practice")["registrations"] == 0
    assert channel(state, pid, "practice")["sockets"] == []


async def test_p2_demoted_during_practice_token_fetch(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "p2d", lobby=False)
    await host.practice_session("p2d", True)
    await host.fault("token", "slow", delay_ms=400, count=1)
    await host.set_roles("p2d", pid, ["PANELIST"])
    await watch.until(state_is("practice", ChannelState.FETCHING_TOKEN), T, "fetching")
    await host.set_roles("p2d", pid, ["ATTENDEE"])
    await watch.until(state_is("practice", ChannelState.OFFLINE), T, "practice offline")
    await client.refresh_token("llm-default-session")
    assert client.tokens.get(PRACTICE) is None
    assert channel(sim.state_view("p2d"), pid, "practice")["registrations"] == 0


async def test_p3_practice_url_rotates_during_token_fetch(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "p3", lobby=False)
    await host.practice_session("p3", True)
    await host.fault("token", "slow", delay_ms=300, count=1)
    await host.set_roles("p3", pid, ["PANELIST"])
    await watch.until(state_is("practice", ChannelState.FETCHING_TOKEN), T, "fetching")
    await host.rotate("p3", "practice")
    newest = sim.state_view("p3")["practiceSessionDatachannelUrl"]
    await watch.until(online("practice"), T, "practice online")
    assert client.snapshot.channel("practice").registration_url == newest
    assert channel(sim.state_view("p3"), pid, "practice")["registrations"] == 1


async def test_p4_default_drops_during_practice_token_fetch(sim, host, make_client) -> None:
    client, watch = make_client()
    snaps = record_snapshots(client)
    pid = await admitted_online(client, watch, host, "p4", lobby=False)
    await host.practice_session("p4", True)
    await host.fault("token", "slow", delay_ms=300, count=1)
    await host.set_roles("p4", pid, ["PANELIST"])
    await watch.until(state_is("practice", ChannelState.FETCHING_TOKEN), T, "fetching")
    # the default goes down and stays down (1003 is permanent)
    await host.socket("p4", "default", "close", code=1003, reason="unsupported")
    await watch.until(state_is("default", ChannelState.CLOSED), T, "default closed")
    await watch.until(state_is("practice", ChannelState.WAITING), T, "practice waits")
    assert channel(sim.state_view("p4"), pid, "practice")["sockets"] == []
    client.reconnect("default")
    await watch.until(online("practice"), T, "practice online once default is back")
    assert practice_came_online_only_with_default(snaps)


async def test_p5_practice_waits_for_default_first(sim, host, make_client) -> None:
    client, watch = make_client()
    snaps = record_snapshots(client)
    await host.create_meeting("p5", lobby=True, webinar=True)
    await host.transcription("p5", 20)
    await client.join("p5")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    pid = client.snapshot.participant_id
    await host.practice_session("p5", True)
    await host.set_roles("p5", pid, ["PANELIST"])
    await host.admit("p5")  # both channels become eligible at the same moment
    await watch.until(online("practice"), T, "practice online")
    default_online = next(e.seq for e in watch.events if kind(EventKind.ONLINE, "default")(e))
    practice_register = next(
        e.seq
        for e in watch.events
        if e.kind is EventKind.HTTP and e.channel == "practice" and e.data.get("what") == "register"
    )
    assert default_online < practice_register
    assert any(s.channel("practice").state is ChannelState.WAITING for s in snaps)
    assert practice_came_online_only_with_default(snaps)
    await watch.event(kind(EventKind.TRANSCRIPT, "practice"), T, "captions on practice")


async def test_p6_practice_register_5xx_shows_error_then_retries(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "p6", lobby=False)
    await host.practice_session("p6", True)
    # 500: a 503 would be retried once by the locus retry rule (T6) and succeed
    await host.fault("register", "error", status=500, count=1)
    await host.set_roles("p6", pid, ["PANELIST"])
    err = await watch.event(kind(EventKind.ERROR, "practice"), T, "a clear error")
    assert "500" in err.summary
    await watch.until(online("practice"), T, "the next attempt succeeds")
    assert channel(sim.state_view("p6"), pid, "practice")["registrations"] == 1


def transcription_holders(state: dict, pid: str) -> list[str]:  # type: ignore[type-arg]
    """Which of this participant's live sockets hold a transcription subscription."""
    return [
        name
        for name in ("default", "practice")
        for sock in channel(state, pid, name)["sockets"]
        if "transcription" in sock["subscriptions"] and not sock.get("draining")
    ]


async def test_p7_default_drops_practice_socket_stays_up(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await panelist_in_practice(client, watch, host, "p7")
    practice_sock = channel(sim.state_view("p7"), pid, "practice")["sockets"][0]["id"]
    mark = watch.mark()
    # 4000: the default stays offline (replaced), so "later" is as long as we like
    await host.socket("p7", "default", "close", code=4000, reason="replaced")
    await watch.until(state_is("default", ChannelState.REPLACED), T, "default replaced")
    await watch.count(kind(EventKind.RTT, "practice"), 2, T, "practice keeps pinging", mark)
    assert client.snapshot.channel("practice").state is ChannelState.ONLINE
    assert not [e for e in watch.events[mark:] if kind(EventKind.CLOSED, "practice")(e)]
    socks = channel(sim.state_view("p7"), pid, "practice")["sockets"]
    assert [s["id"] for s in socks] == [practice_sock]  # the very same socket
    # only a *new* practice connect waits for the default
    await host.socket("p7", "practice", "reset")
    await watch.until(state_is("practice", ChannelState.WAITING), T, "practice waits")
    client.reconnect("default")
    await watch.until(online("default", confirmed=False), T, "default back")
    await watch.until(online("practice"), T, "then practice, subscribed")


async def test_p8_transcription_on_the_publish_transport_only(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "p8", lobby=False)
    assert transcription_holders(sim.state_view("p8"), pid) == ["default"]
    await host.practice_session("p8", True)
    await host.set_roles("p8", pid, ["PANELIST"])
    await watch.until(online("practice"), T, "practice online and subscribed")
    await watch.until(
        lambda s: "transcription" not in s.channel("default").confirmed, T, "moved off default"
    )
    snap = client.snapshot
    assert snap.channel("practice").publish_transport and snap.channel("practice").announced
    assert not snap.channel("default").publish_transport
    assert transcription_holders(sim.state_view("p8"), pid) == ["practice"]  # once, not twice
    await host.transcription("p8", 20)
    mark = watch.mark()
    await watch.count(kind(EventKind.TRANSCRIPT, "practice"), 3, T, "captions on practice", mark)
    assert not [e for e in watch.events[mark:] if kind(EventKind.TRANSCRIPT, "default")(e)]
    # the practice session ends: the subscription moves back to the default socket
    await host.practice_session("p8", False)
    await watch.until(online("default"), T, "default subscribed again")
    await watch.until(state_is("practice", ChannelState.OFFLINE), T, "practice closed")
    assert transcription_holders(sim.state_view("p8"), pid) == ["default"]
    after = watch.mark()
    await watch.count(kind(EventKind.TRANSCRIPT, "default"), 3, T, "captions on default", after)
