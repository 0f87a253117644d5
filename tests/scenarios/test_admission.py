"""SCENARIOS.md A1-A6: admission, lobby, leave. Real core, real simulator, loopback."""

from __future__ import annotations

from app.core.events import ChannelState, EventKind
from app.core.settings import TEST

from .helpers import T, channel, issued, kind, me, online, state_is


async def test_a1_admitted_guest_fetches_token_then_registers_connects_subscribes(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    await host.create_meeting("a1", lobby=True, webinar=False)
    await host.transcription("a1", 20)
    await client.join("a1")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    assert client.snapshot.tokens["llm-default-session"].source is None  # no token in lobby
    pid = client.snapshot.participant_id
    await host.admit("a1")
    await watch.until(online("default"), T, "default online + transcription confirmed")
    await watch.event(kind(EventKind.TRANSCRIPT, "default"), T, "captions arrive")

    order = [
        next(e.seq for e in watch.events if e.kind is EventKind.ADMITTED),
        next(e.seq for e in watch.events if e.kind is EventKind.TOKEN and "fetched" in e.summary),
        next(
            e.seq
            for e in watch.events
            if e.kind is EventKind.HTTP
            and e.data.get("what") == "register"
            and e.channel == "default"
        ),
        next(e.seq for e in watch.events if e.kind is EventKind.ONLINE and e.channel == "default"),
        next(e.seq for e in watch.events if e.kind is EventKind.SUBSCRIBED),
    ]
    assert order == sorted(order), "admit -> token -> register -> online -> subscribed"
    state = sim.state_view("a1")
    assert issued(state, pid, "llm-default-session") == 1
    dc = channel(state, pid, "default")
    assert dc["registrations"] == 1
    assert [s["subscriptions"] for s in dc["sockets"]] == [["transcription"]]


async def test_a2_admitted_shown_at_once_while_token_service_is_slow(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    await host.create_meeting("a2", lobby=True, webinar=False)
    await client.join("a2")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    pid = client.snapshot.participant_id
    await host.fault("token", "slow", delay_ms=800)
    await host.admit("a2")
    snap = await watch.until(lambda s: s.badge == "Admitted" and s, T, "badge Admitted")
    # admitted is visible while the token is still on its way
    assert snap.channel("default").state is not ChannelState.ONLINE
    assert snap.tokens["llm-default-session"].source is None  # no token yet
    assert issued(sim.state_view("a2"), pid, "llm-default-session") <= 1
    await watch.until(state_is("default", ChannelState.FETCHING_TOKEN), T, "fetching token")
    await watch.until(online("default"), T, "channel follows once the token arrives")


async def test_a3_leave_during_admit_token_fetch_drops_the_late_token(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    await host.create_meeting("a3", lobby=True, webinar=False)
    await client.join("a3")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    await host.fault("token", "slow", delay_ms=600, count=1)
    await host.admit("a3")
    await watch.until(state_is("default", ChannelState.FETCHING_TOKEN), T, "token fetch in flight")
    await client.leave()
    assert client.tokens.get("llm-default-session") is None
    # the slow answer would have come by now if it were going to be cached
    mark = watch.mark()
    await client.join("a3")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby again")
    pid2 = client.snapshot.participant_id
    await host.admit("a3")
    await watch.until(online("default"), T, "online after the second admit")
    fetched = [
        e for e in watch.events[mark:] if e.kind is EventKind.TOKEN and "fetched" in e.summary
    ]
    assert len(fetched) == 1, "the second admit fetched a fresh token"
    assert not any(e.kind is EventKind.HTTP and e.data.get("status") == 401 for e in watch.events)
    assert channel(sim.state_view("a3"), pid2, "default")["registrations"] == 1


async def test_a4_admit_and_locus_updates_racing_register_once(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("a4", lobby=True, webinar=True)
    await client.join("a4")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    pid = client.snapshot.participant_id
    await host.fault("register", "slow", delay_ms=300, count=1)
    await host.admit("a4")
    await watch.until(state_is("default", ChannelState.REGISTERING), T, "registering")
    # more locus updates ask for the same channel while the registration is in flight
    await host.set_roles("a4", pid, ["ATTENDEE"])
    await host.practice_session("a4", True)
    await host.practice_session("a4", False)
    await watch.until(online("default"), T, "online")
    snap = client.snapshot.channel("default")
    dc = channel(sim.state_view("a4"), pid, "default")
    assert dc["registrations"] == 1 and snap.registrations == 1 and snap.connects == 1
    assert len(dc["sockets"]) == 1


async def test_a5_lobby_keep_alives_keep_us_in_and_stop_at_admit(sim, host, make_client) -> None:
    client, watch = make_client()
    # keepAliveSecs 2: a keep-alive every 750 ms; the simulator removes after 4 s of silence
    await host.create_meeting("a5", lobby=True, webinar=False, keep_alive_secs=2)
    await client.join("a5")
    pid = client.snapshot.participant_id
    await sim.wait_for(lambda s: me(s.state_view("a5"), pid)["keepAlives"] >= 6, timeout=8)
    assert me(sim.state_view("a5"), pid)["phase"] == "lobby"  # 4.5 s > 2 * keepAliveSecs
    ka_at_admit = me(sim.state_view("a5"), pid)["keepAlives"]
    await host.admit("a5")
    await watch.until(online("default"), T, "online")
    # a second of pings (5 x 200 ms) is longer than one keep-alive interval
    await watch.count(kind(EventKind.RTT, "default"), 5, T, "5 pings", watch.mark())
    assert me(sim.state_view("a5"), pid)["keepAlives"] <= ka_at_admit + 1


async def test_a6_leave_while_register_in_flight_leaves_nothing_behind(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    await host.create_meeting("a6", lobby=False, webinar=False)
    await host.fault("register", "hang")
    await client.join("a6")
    pid = client.snapshot.participant_id
    await watch.until(state_is("default", ChannelState.REGISTERING), T, "registering")
    await client.leave()
    left_at = watch.mark()
    generation_left = client.snapshot.generation - 1
    await host.clear_faults()
    # time passes for real: a second meeting goes all the way online meanwhile
    await host.create_meeting("a6b", lobby=False, webinar=False)
    await client.join("a6b")
    await watch.until(online("default"), T, "second meeting online")
    state = sim.state_view("a6")
    assert me(state, pid)["phase"] == "left"
    assert channel(state, pid, "default")["registrations"] == 0
    assert channel(state, pid, "default")["sockets"] == []
    assert not [e for e in watch.events[left_at:] if e.generation == generation_left]


async def test_a6_leave_while_connecting(sim, host, make_client) -> None:
    client, watch = make_client(TEST)
    await host.create_meeting("a6c", lobby=False, webinar=False)
    await client.join("a6c")
    pid = client.snapshot.participant_id
    await watch.until(
        state_is("default", ChannelState.CONNECTING, ChannelState.AUTHORIZING), T, "connecting"
    )
    await client.leave()
    assert client.snapshot.channel("default").state is ChannelState.OFFLINE
    await sim.wait_for(
        lambda s: channel(s.state_view("a6c"), pid, "default")["sockets"] == [], timeout=T
    )


async def test_join_by_address_goes_through_meeting_info_to_the_locus_url(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    await host.create_meeting("byaddr", lobby=False, webinar=False)
    await client.join("byaddr")
    how = next(e for e in watch.events if e.summary.startswith("joining by"))
    assert how.summary == "joining by locus URL"  # meetingInfo named the locus (SDK `create`)
    await watch.until(online("default"), T, "joined and online")
    me = sim.state_view("byaddr")["participants"][0]
    assert me["phase"] == "joined" and me["correlationId"] == client._correlation_id


async def test_join_by_locus_url_directly(sim, host, make_client) -> None:
    client, watch = make_client()
    created = await host.create_meeting("byurl", lobby=False, webinar=False)
    await client.join("byurl", locus_url=created["locusUrl"])
    assert not [e for e in watch.events if kind(EventKind.HTTP, "http", what="meetingInfo")(e)]
    await watch.until(online("default"), T, "joined and online")
    assert client.snapshot.locus_url == created["locusUrl"]


async def test_join_by_invitee_when_meeting_info_fails(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("byinvitee", lobby=False, webinar=False)
    await host.fault("meetinginfo", "error", status=500, count=1)
    await client.join("byinvitee")
    how = next(e for e in watch.events if e.summary.startswith("joining by"))
    assert how.summary == "joining by invitee byinvitee"  # POST /loci/call, invitee.address
    await watch.until(online("default"), T, "joined and online")
    assert sim.state_view("byinvitee")["participants"][0]["phase"] == "joined"
