"""SCENARIOS.md T1-T4: token expiry, refused registrations, concurrent refresh, slots."""

from __future__ import annotations

import asyncio

from app.core.events import ChannelState, EventKind
from app.core.registration import register

from .helpers import (
    T,
    admitted_online,
    channel,
    issued,
    kind,
    online,
    panelist_in_practice,
    state_is,
)

DEFAULT = "llm-default-session"
PRACTICE = "llm-practice-session"


async def test_t1_token_near_expiry_is_refreshed_before_registering(sim, host, make_client) -> None:
    client, watch = make_client()
    # every token lives 25 s: within the 30 s margin, so expired on arrival
    await host.create_meeting("t1", lobby=False, webinar=False, token_ttl_secs=25)
    await client.join("t1")
    pid = client.snapshot.participant_id
    await watch.until(online("default"), T, "online")
    assert issued(sim.state_view("t1"), pid, DEFAULT) == 2  # join answer + refresh before use
    assert not any(
        e.data.get("status") in (401, 403) for e in watch.events if e.kind is EventKind.HTTP
    )
    assert client.snapshot.tokens[DEFAULT].source == "refreshed"


async def test_t2_refused_registration_waits_refreshes_retries_once(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "t2", lobby=False)
    before = issued(sim.state_view("t2"), pid, DEFAULT)
    mark = watch.mark()
    await host.tokens("t2", "expire", DEFAULT)
    await host.rotate("t2", "default")
    refused = await watch.event(
        lambda e: (
            e.kind is EventKind.HTTP and e.channel == "default" and e.data.get("status") == 401
        ),
        T,
        "401",
        mark,
    )
    ok = await watch.event(kind(EventKind.HTTP, "default", retried=True), T, "retry ok", mark)
    assert ok.t - refused.t >= client.settings.auth_retry_delay * 0.9
    await watch.until(online("default"), T, "online")
    assert issued(sim.state_view("t2"), pid, DEFAULT) == before + 1


async def test_t2_refused_twice_gives_up_with_a_clear_error(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "t2b", lobby=False)
    before = issued(sim.state_view("t2b"), pid, DEFAULT)
    await host.fault("register", "error", status=401)
    mark = watch.mark()
    await host.rotate("t2b", "default")
    err = await watch.event(kind(EventKind.ERROR, "default"), T, "gave up", mark)
    assert "refused twice" in err.summary
    await watch.until(state_is("default", ChannelState.ERROR), T, "error state")
    await watch.count(kind(EventKind.RTT, "device"), 3, T, "time passes", watch.mark())
    assert issued(sim.state_view("t2b"), pid, DEFAULT) == before + 1  # exactly one refresh
    assert not [e for e in watch.events[mark:] if kind(EventKind.RETRY, "default")(e)]
    # the next eligible moment (a new URL) tries again
    await host.clear_faults()
    await host.rotate("t2b", "default")
    await watch.until(online("default"), T, "online again")


async def test_t3_two_refused_registrations_share_one_refresh(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "t3", lobby=False)
    await host.tokens("t3", "expire", DEFAULT)
    before = issued(sim.state_view("t3"), pid, DEFAULT)
    url = sim.state_view("t3")["datachannelUrl"]
    store = client.tokens
    fetches = store.fetches
    slot = store.get(DEFAULT)  # the token both requests carry (expired server-side)
    results = await asyncio.gather(
        *[
            register(
                client.http,
                store,
                url,
                client.device_url,
                slot,
                DEFAULT,
                lambda: client.fetch_token(DEFAULT, client.snapshot.generation),
                0.05,
            )
            for _ in range(2)
        ]
    )
    assert all(r.retried for r in results)  # each request got its own single retry
    assert store.fetches == fetches + 1  # one refresh served both
    assert issued(sim.state_view("t3"), pid, DEFAULT) == before + 1


async def test_t3_default_and_practice_refused_together_each_refresh_once(
    sim, host, make_client
) -> None:
    client, watch = make_client()
    pid = await panelist_in_practice(client, watch, host, "t3b")
    state = sim.state_view("t3b")
    before = {k: issued(state, pid, k) for k in (DEFAULT, PRACTICE)}
    mark = watch.mark()
    await host.tokens("t3b", "expire")
    await host.rotate("t3b", "default")
    await host.rotate("t3b", "practice")
    await watch.count(
        lambda e: e.kind is EventKind.HTTP and e.data.get("retried") is True,
        2,
        T,
        "both retried",
        mark,
    )
    await watch.until(lambda s: online("default")(s) and online("practice")(s), T, "both online")
    state = sim.state_view("t3b")
    assert {k: issued(state, pid, k) for k in (DEFAULT, PRACTICE)} == {
        k: v + 1 for k, v in before.items()
    }


async def test_t4_practice_refresh_keeps_each_token_in_its_slot(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await panelist_in_practice(client, watch, host, "t4")
    default_before = client.tokens.get(DEFAULT).token
    practice_before = client.tokens.get(PRACTICE).token
    slot = await client.refresh_token(PRACTICE)
    assert slot.token_type == PRACTICE and slot.token != practice_before
    assert client.tokens.get(DEFAULT).token == default_before
    assert client.tokens.get(PRACTICE).token == slot.token
    assert client.snapshot.channel("default").connects == 1  # default untouched
    types = {t["tokenType"] for t in sim.state_view("t4")["participants"][-1]["tokens"]}
    assert types == {DEFAULT, PRACTICE}
    assert channel(sim.state_view("t4"), pid, "default")["registrations"] == 1


async def test_t5_feature_off_no_token_no_header_no_subscription(sim, host, make_client) -> None:
    await host.features(False)  # before the device registers: its answer says off
    client, watch = make_client()
    await host.create_meeting("t5", lobby=True, webinar=False)
    await client.join("t5")
    assert client.snapshot.jwt_feature is False  # shown, for the monitor to say so
    assert any(kind(EventKind.FEATURE, "device", on=False)(e) for e in watch.events)
    await watch.until(lambda s: s.badge == "Lobby", T, "in lobby")
    await host.admit("t5")
    await watch.until(online("default", confirmed=False), T, "default online without a token")
    await watch.until(lambda s: s.captions == "on", T, "captions turned on anyway")
    await watch.count(kind(EventKind.RTT, "default"), 2, T, "time passes", watch.mark())
    state = sim.state_view("t5")
    pid = client.snapshot.participant_id
    assert issued(state, pid, DEFAULT) == 0  # no token fetched (none came with the join)
    assert client.tokens.get(DEFAULT) is None
    socks = channel(state, pid, "default")["sockets"]
    assert [s["subscriptions"] for s in socks] == [[]]  # no subscription request
    snap = client.snapshot.channel("default")
    assert snap.subscriptions == () and snap.requested == ()
    # the toggle is re-read on a device refresh (PUT {deviceUrl})
    await host.features(True)
    await client.refresh_device()
    assert client.snapshot.jwt_feature is True
    await watch.until(online("default"), T, "subscribed once the feature is on")


async def test_t6_token_503_retried_once_after_retry_after(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("t6", lobby=True, webinar=False)
    await client.join("t6")
    await watch.until(lambda s: s.badge == "Lobby", T, "in lobby")
    await host.fault("token", "error", status=503, count=1, retry_after=1)
    mark = watch.mark()
    await host.admit("t6")
    retry = await watch.event(kind(EventKind.RETRY, "http", what="token"), T, "one retry", mark)
    assert retry.data["status"] == 503 and retry.data["delay"] == 1.0
    assert retry.data["source"] == "Retry-After"
    await watch.until(online("default"), T, "online after the retry")
    calls = [e for e in watch.events[mark:] if kind(EventKind.HTTP, "http", what="token")(e)]
    assert [e.data["status"] for e in calls] == [503, 200]  # once, not hammered
    assert calls[1].t - calls[0].t >= 0.95  # waited the server's Retry-After
    pid = client.snapshot.participant_id
    assert issued(sim.state_view("t6"), pid, DEFAULT) == 1
    assert not [e for e in watch.events[mark:] if kind(EventKind.ERROR, "default")(e)]


async def test_t6_two_503_in_a_row_fail_that_request_then_backoff(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("t6b", lobby=True, webinar=False)
    await client.join("t6b")
    await watch.until(lambda s: s.badge == "Lobby", T, "in lobby")
    await host.fault("token", "error", status=429, count=2, retry_after=False)
    mark = watch.mark()
    await host.admit("t6b")
    err = await watch.event(kind(EventKind.ERROR, "default"), T, "that request fails", mark)
    assert "429" in err.summary
    await watch.until(online("default"), T, "the channel's backoff retry succeeds")
    retries = [e for e in watch.events[mark:] if kind(EventKind.RETRY, "http", what="token")(e)]
    assert len(retries) == 1 and retries[0].data["source"] == "no Retry-After: default"
