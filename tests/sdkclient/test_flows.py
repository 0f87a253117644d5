"""The real webex 3.12.0, through the driver, against the real simulator: one test per flow.

Each expectation is what the unmodified 3.12.0 does (SDK_FLOW.md, "What 3.12.0 does with
tokens"), checked from the driver's lines (the SDK's own HTTP, sockets and events) and, where
the server's view decides, from the simulator's state. Each test starts its own simulator and
driver and stops both by PID (harness.sdk_session).
"""

from __future__ import annotations

import json

import pytest

from tests.sdkclient.harness import Driver, Sim, sdk_session, until, watch_window

pytestmark = pytest.mark.timeout(120)

# Negative outcomes (no reconnect, no caption) have no event to wait for: they are watched
# for this long. The SDK's reconnect after a transient close is immediate, and transcription
# runs at 4 per second meanwhile, so a wrong outcome shows well inside it.
WINDOW_S = 2.5


def _register(d: Driver, channel: str, after: int = 0) -> dict:
    return d.wait(
        f"{channel} registration",
        lambda x: (
            x.get("ev") == "http" and x.get("what") == "register" and x.get("channel") == channel
        ),
        after=after,
    )


def _subscribed(sim: Sim, mid: str) -> bool:
    sockets = sim.sockets(mid, "default")
    return len(sockets) == 1 and "transcription" in sockets[0]["subscriptions"]


def _online_default(sim: Sim, d: Driver, mid: str) -> dict:
    d.run("join", meeting=mid)
    return d.wait("default online", d.ev("socket.online", channel="default"))


def _captions_flowing(sim: Sim, d: Driver, mid: str) -> dict:
    d.wait("captions on", d.ev("captions", state="on"))
    sim.call("POST", f"/sim/meetings/{mid}/transcription", {"perSecond": 4})
    return d.wait("a final caption", d.ev("caption", final=True, channel="default"))


def test_direct_join_gets_default_channel_and_captions_then_leaves() -> None:
    with sdk_session() as (sim, d, mid):
        joined = d.run("join", meeting=mid)
        assert joined["data"]["phase"] == "joined"
        token = d.wait("token in the join answer", d.ev("token", channel="default", source="join"))
        reg = _register(d, "default")
        assert reg["status"] == 200
        assert reg["dcToken"] == token["masked"], "registered with the join answer's token"
        online = d.wait("default online", d.ev("socket.online", channel="default"))
        sub = d.wait("subscription", d.ev("subscribe", channel="default"))
        assert sub["subscribe"] == ["transcription"] and sub["sid"] == online["sid"]
        assert d.find("announce", channel="default")
        # the first ping goes out at online; its pong gives the RTT; frames are counted
        ping = d.wait("device ping", d.ev("ping", channel="device"))
        pong = d.wait("device pong", d.ev("pong", channel="device", pingId=ping["pingId"]))
        assert isinstance(pong["rttMs"], (int, float)) and pong["rttMs"] >= 0
        frames = d.wait("default frames", d.ev("frames", channel="default"))
        assert frames["in"] >= 1 and frames["out"] >= 2  # buffer_state in; auth + ping out
        caption = _captions_flowing(sim, d, mid)
        assert caption["text"]
        until("the subscription on the simulator", lambda: _subscribed(sim, mid))

        mark = d.mark()
        d.run("leave")
        d.wait("phase left", d.ev("phase", phase="left"), after=mark)
        # the SDK closes its LLM socket 3050 "done (permanent)"; the simulator may close it
        # first (1000 "participant left"): either way it is final for the SDK
        closed = d.wait("default closed", d.ev("socket.closed", channel="default"), after=mark)
        assert (closed["code"], closed["reason"]) in {
            (3050, "done (permanent)"),
            (1000, "participant left"),
        }
        offline = d.wait("offline", d.ev("socket.offline", channel="default"), after=mark)
        assert offline["kind"] == "permanent"
        participant = sim.participant(mid)
        assert participant is not None and participant["phase"] == "left"
        # no token ever printed in full
        assert all(len(x.get("masked", "x…")) <= 7 for x in d.find("token"))


def test_direct_join_drop_reconnects_and_captions_stop() -> None:
    """3.12.0 reconnects after a 1006 to the same URL, and never resubscribes (no #4818)."""
    with sdk_session() as (sim, d, mid):
        first = _online_default(sim, d, mid)
        _captions_flowing(sim, d, mid)
        opening = d.find("socket.opening", channel="default")[-1]
        mark = d.mark()
        sim.call(
            "POST", "/sim/sockets", {"meetingId": mid, "channel": "default", "action": "reset"}
        )
        closed = d.wait(
            "1006", d.ev("socket.closed", channel="default", sid=first["sid"]), after=mark
        )
        assert closed["code"] == 1006
        d.wait("transient", d.ev("socket.offline", channel="default", kind="transient"), after=mark)
        again = d.wait("back online", d.ev("socket.online", channel="default"), after=mark)
        assert again["sid"] != first["sid"]
        reopened = d.find("socket.opening", after=mark, channel="default")[0]
        assert reopened["url"].split("?")[0] == opening["url"].split("?")[0], "the same URL"
        back = d.mark()

        def captions_stopped() -> None:
            assert not [x for x in d.find("http", after=mark) if x.get("what") == "register"]
            assert not d.find("subscribe", after=mark), "3.12.0 sent a subscription again"
            assert not d.find("caption", after=back), "captions still arriving"

        watch_window(WINDOW_S, captions_stopped)
        sockets = sim.sockets(mid, "default")
        assert len(sockets) == 1 and sockets[0]["subscriptions"] == []


def test_lobby_admit_registers_without_token_and_gets_401() -> None:
    """SELF_ADMITTED_GUEST: 3.12.0 reads the lobby self (no token) and registers bare."""
    # keepAliveSecs 2: the lobby keep-alive every (2 - 1) * 750 ms (locus keepAliveSecs rule)
    with sdk_session({"lobby": True, "keepAliveSecs": 2}) as (sim, d, mid):
        joined = d.run("join", meeting=mid)
        assert joined["data"]["phase"] == "lobby"
        assert d.find("sdk", name="meeting:self:lobbyWaiting")
        keep_alive = d.wait("lobby keep-alive", lambda x: x.get("what") == "keepalive")
        assert keep_alive["status"] == 200
        mark = d.mark()
        sim.call("POST", f"/sim/meetings/{mid}/admit", {})
        d.wait("admitted", d.ev("phase", phase="joined"), after=mark)
        assert d.find("sdk", after=mark, name="meeting:self:guestAdmitted")
        reg = _register(d, "default", after=mark)
        assert reg["status"] == 401
        assert "dcToken" not in reg, "3.12.0 sends no Data-Channel-Auth-Token after admit"
        assert not d.find("token", channel="default")

        admitted = d.mark()

        def no_channel() -> None:
            assert not [x for x in d.find("http", after=admitted) if x.get("what") == "keepalive"]
            assert not d.find("socket.opening", channel="default")
            assert not d.find("captions", state="on")
            assert not d.find("caption")

        watch_window(WINDOW_S, no_channel)
        participant = sim.participant(mid)
        assert participant is not None and participant["phase"] == "joined"
        assert participant["channels"]["default"]["registrations"] == 0
        assert d.run("state")["data"]["sockets"]["default"] is False


def test_promotion_registers_practice_without_token_and_gets_401() -> None:
    """A promoted panelist in a running practice session: 3.12.0 has no practice token."""
    with sdk_session({"webinar": True}) as (sim, d, mid):
        _online_default(sim, d, mid)
        participant = sim.participant(mid)
        assert participant is not None
        sim.call("POST", f"/sim/meetings/{mid}/practice-session", {"enabled": True})
        d.wait("practice on", lambda x: x.get("ev") == "phase" and x.get("practiceSession") is True)
        mark = d.mark()
        body = {"participantId": participant["participantId"], "roles": ["PANELIST"]}
        sim.call("POST", f"/sim/meetings/{mid}/roles", body)
        d.wait(
            "promoted",
            lambda x: x.get("ev") == "phase" and "PANELIST" in x.get("roles", []),
            after=mark,
        )
        assert d.find("sdk", after=mark, name="meeting:self:rolesChanged")
        reg = _register(d, "practice", after=mark)
        assert reg["status"] == 401
        assert "dcToken" not in reg, "3.12.0 sends no practice token after a promotion"

        def default_only() -> None:
            assert not d.find("socket.opening", channel="practice")
            assert not d.find("socket.offline", after=mark, channel="default")

        watch_window(WINDOW_S, default_only)
        assert d.run("state")["data"]["sockets"] == {
            "device": True,
            "default": True,
            "practice": False,
        }


def test_panelist_joining_a_practice_session_registers_practice_without_its_token() -> None:
    """The join answer carries the practice token, yet 3.12.0 registers the practice channel
    without it: webinar/index.ts updatePSDataChannel runs from the roles change, before
    locusInfo.self holds the new self, and reads the previous one. Captions then go to the
    default channel, the only one online (voicea.ts getPublishTransport)."""
    with sdk_session({"webinar": True, "joinRole": "PANELIST"}) as (sim, d, mid):
        sim.call("POST", f"/sim/meetings/{mid}/practice-session", {"enabled": True})
        d.run("join", meeting=mid)
        given = d.wait("practice token", d.ev("token", channel="practice", source="join"))
        assert given["masked"]
        reg = _register(d, "practice")
        assert reg["status"] == 401
        assert "dcToken" not in reg, "the practice token from the join answer was not sent"
        d.wait("default online", d.ev("socket.online", channel="default"))
        sub = d.wait("subscription", d.ev("subscribe"))
        assert sub["channel"] == "default"
        caption = _captions_flowing(sim, d, mid)
        assert caption["channel"] == "default"
        assert not d.find("socket.opening", channel="practice")


def test_4000_stays_offline() -> None:
    with sdk_session() as (sim, d, mid):
        first = _online_default(sim, d, mid)
        mark = d.mark()
        body = {
            "meetingId": mid,
            "channel": "default",
            "action": "close",
            "code": 4000,
            "reason": "replaced",
        }
        sim.call("POST", "/sim/sockets", body)
        closed = d.wait(
            "4000", d.ev("socket.closed", channel="default", sid=first["sid"]), after=mark
        )
        assert (closed["code"], closed["reason"]) == (4000, "replaced")
        d.wait("replaced", d.ev("socket.offline", channel="default", kind="replaced"), after=mark)

        def stays_offline() -> None:
            assert not d.find("socket.opening", after=mark, channel="default")
            assert sim.sockets(mid, "default") == []

        watch_window(WINDOW_S, stays_offline)
        assert d.run("state")["data"]["sockets"]["default"] is False


def test_shutdown_switchover_goes_to_the_device_url_and_loses_the_channel() -> None:
    """mercury.js _handleImminentShutdown -> _connectWithBackoff(undefined): the replacement
    opens on device.webSocketUrl; when the old socket closes (4001), _onclose deletes the
    session's entry, so the SDK has no default socket left (PROTOCOL.md section 8)."""
    with sdk_session() as (sim, d, mid):
        first = _online_default(sim, d, mid)
        d.wait("captions on", d.ev("captions", state="on"))
        device_open = d.find("socket.opening", channel="device")[0]
        mark = d.mark()
        body = {"meetingId": mid, "channel": "default", "action": "shutdown", "ms": 1500}
        sim.call("POST", "/sim/sockets", body)
        d.wait(
            "shutdown frame",
            d.ev("socket.shutdown", channel="default", sid=first["sid"]),
            after=mark,
        )
        replacement = d.wait(
            "replacement", d.ev("socket.opening", channel="default", switchover=True), after=mark
        )
        assert replacement["url"].split("?")[0] == device_open["url"].split("?")[0]
        d.wait(
            "switchover online",
            d.ev("socket.online", channel="default", switchover=True),
            after=mark,
        )
        old = d.wait(
            "old closed", d.ev("socket.closed", channel="default", sid=first["sid"]), after=mark
        )
        assert old["code"] == 4001
        state = d.run("state")["data"]
        assert state["sockets"]["default"] is False, "3.12.0 keeps no default socket"
        # the replacement is a second device connection (multipleConnections=true): the
        # original device socket stays
        assert state["sockets"]["device"] is True
        assert not d.find("socket.closed", after=mark, channel="device")


def test_token_refusal_is_refetched_and_retried() -> None:
    """A refused token (revoked, then a new datachannel URL): 3.12.0 registers with the token
    it has, gets 401, and its DataChannelAuthTokenInterceptor fetches a new one and retries."""
    with sdk_session() as (sim, d, mid):
        _online_default(sim, d, mid)
        first_token = d.find("token", channel="default")[0]
        mark = d.mark()
        sim.call("POST", f"/sim/meetings/{mid}/tokens", {"action": "revoke"})
        sim.call("POST", f"/sim/meetings/{mid}/rotate", {"channel": "default"})
        refused = _register(d, "default", after=mark)
        assert refused["status"] == 401
        assert refused["dcToken"] == first_token["masked"], "the cached (revoked) token"
        fetched = d.wait(
            "token fetch", d.ev("token", channel="default", source="fetch"), after=mark
        )
        retry = _register(d, "default", after=d.lines.index(refused) + 1)
        assert retry["status"] == 200 and retry["dcToken"] == fetched["masked"]
        token_calls = [x for x in d.find("http", after=mark) if x.get("what") == "token"]
        assert [x["status"] for x in token_calls] == [200]
        d.wait("online on the new URL", d.ev("socket.online", channel="default"), after=mark)


def test_reconnect_command_and_captions_off_on() -> None:
    """`reconnect`: Mercury#disconnect (1000 "Done") + connect to the same URL, no new
    registration and (3.12.0) no subscription; `captions` off then on subscribes again."""
    with sdk_session() as (sim, d, mid):
        first = _online_default(sim, d, mid)
        d.wait("captions on", d.ev("captions", state="on"))
        url = d.find("socket.opening", channel="default")[-1]["url"].split("?")[0]
        mark = d.mark()
        d.run("reconnect", channel="default")
        closed = d.wait(
            "closed", d.ev("socket.closed", channel="default", sid=first["sid"]), after=mark
        )
        assert (closed["code"], closed["reason"]) == (1000, "Done")
        again = d.wait("online again", d.ev("socket.online", channel="default"), after=mark)
        reopened = d.find("socket.opening", after=mark, channel="default")[0]
        assert reopened["url"].split("?")[0] == url
        assert not [x for x in d.find("http", after=mark) if x.get("what") == "register"]
        assert not d.find("subscribe", after=mark)

        toggle = d.mark()
        assert d.run("captions", on=False)["data"]["state"] == "off"
        d.run("captions", on=True)
        sub = d.wait("subscribed again", d.ev("subscribe", channel="default"), after=toggle)
        assert sub["sid"] == again["sid"]
        d.wait("captions on again", d.ev("captions", state="on"), after=toggle)
        until("the subscription on the simulator", lambda: _subscribed(sim, mid))


def test_token_without_org_gets_the_catalog_shim_and_joins() -> None:
    """A token webex-core reads no org id from (one section): the SDK never collects its
    catalog; the driver's one run-time shim fetches it through the SDK and says so."""
    with sdk_session(token="plain-user-token-0123456789") as (_sim, d, mid):
        shim = d.find("shim")
        assert [x["name"] for x in shim] == ["catalog"]
        assert "1 sections" in shim[0]["reason"]
        assert d.run("join", meeting=mid)["data"]["phase"] == "joined"
        d.wait("default online", d.ev("socket.online", channel="default"))


def test_netguard_catches_a_non_loopback_attempt() -> None:
    """A device answer naming a non-loopback socket host: the SDK tries it, the guard refuses
    and reports it, and the SDK carries on (retrying, as after any connection error)."""
    foreign = "mercury-connection-a.wbx2.com"

    def foreign_device(sim: Sim) -> None:
        answer = {
            "url": f"{sim.url}/wdm/api/v1/devices/netguard-test",
            "webSocketUrl": f"wss://{foreign}/v1/apps/wx2/registrations/netguard-test/messages",
            "features": {"developer": [], "entitlement": [], "user": []},
        }
        fault = {"endpoint": "device", "mode": "body", "status": 200, "body": json.dumps(answer)}
        sim.call("POST", "/sim/faults", fault)

    # meetings.register() waits for the device socket, which never comes: start stays pending
    with sdk_session(before_start=foreign_device, guarded=False, wait_start=False) as (_s, d, _m):
        refused = d.wait("netguard line", d.ev("netguard"), timeout=30)
        assert refused["host"] == foreign and refused["api"] == "tls.connect"
        closed = d.wait("refused socket", d.ev("socket.closed", channel="device"))
        assert closed["error"] == "ENETGUARD" and closed["wasOnline"] is False
        assert d.proc.poll() is None, "the driver survives"
        assert d.run("state")["data"]["sockets"]["device"] is False
