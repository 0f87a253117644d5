"""The real SDK 3.12.0 (sdkclient driver): its meeting sync through `GET /loci`, and the
data channel's subscription answer.

At every device-socket online 3.12.0 runs `syncMeetings` (`meetings/index.ts`): it lists
`GET /locus/api/v1/loci` and destroys each of its meetings whose locusUrl is not listed
(NO_MEETINGS_TO_SYNC); a listed locus goes through `locus-info/parser.ts`. These run the
real driver against the real simulator (child processes, stopped by PID).
"""

from __future__ import annotations

import pytest

from tests.sdkclient.harness import Driver, Sim, sdk_session, watch_window

pytestmark = pytest.mark.timeout(120)

WINDOW_S = 2.5  # the SDK destroys right after the answer; a removal shows well inside this


def _loci_calls(d: Driver, after: int) -> list[dict]:
    return [
        x
        for x in d.find("http", after=after)
        if x.get("method") == "GET"
        and x.get("url", "").split("?")[0].endswith("/locus/api/v1/loci")
    ]


def _reset_device_socket(sim: Sim, d: Driver, mid: str) -> int:
    """RST the SDK's device socket; wait until it is back online; the mark before it."""
    mark = d.mark()
    sim.call("POST", "/sim/sockets", {"meetingId": mid, "channel": "device", "action": "reset"})
    d.wait("device offline", d.ev("socket.offline", channel="device", kind="transient"), after=mark)
    d.wait("device back online", d.ev("socket.online", channel="device"), after=mark)
    return mark


def _synced(sim: Sim, d: Driver, mark: int) -> dict:
    """The SDK's `GET /loci` after `mark`, answered 200, and no meeting removed meanwhile."""
    call = d.wait(
        "GET /loci",
        lambda x: x in _loci_calls(d, mark) and x.get("status", 0) != 0,
        timeout=20,
        after=mark,
    )
    assert call["status"] == 200, call
    assert call["auth"] is True

    def still_there() -> None:
        removed = [x for x in d.find("sdk", after=mark) if x.get("name") == "meeting:removed"]
        assert not removed, f"the SDK destroyed its meeting after the sync: {removed}"

    watch_window(WINDOW_S, still_there)
    return call


def test_joined_meeting_survives_the_sync_after_a_device_reconnect() -> None:
    with sdk_session() as (sim, d, mid):
        joined = d.run("join", meeting=mid)
        assert joined["data"]["phase"] == "joined"
        mark = _reset_device_socket(sim, d, mid)
        _synced(sim, d, mark)
        state = d.run("state")["data"]
        assert state["meeting"] is not None and state["meeting"]["phase"] == "joined"
        assert sim.participant(mid)["phase"] == "joined"


def test_lobby_meeting_survives_the_sync_and_is_admitted_after_it() -> None:
    with sdk_session({"lobby": True, "keepAliveSecs": 2}) as (sim, d, mid):
        d.run("join", meeting=mid)
        d.wait("lobby", d.ev("phase", phase="lobby"))
        mark = _reset_device_socket(sim, d, mid)
        _synced(sim, d, mark)
        state = d.run("state")["data"]
        assert state["meeting"] is not None and state["meeting"]["phase"] == "lobby"
        # the meeting object is the same one: the admit push still reaches it
        sim.call("POST", f"/sim/meetings/{mid}/admit", {})
        d.wait("joined after admit", d.ev("phase", phase="joined"), after=mark)


def test_a_change_missed_while_the_device_socket_was_dead_arrives_with_the_sync() -> None:
    """The push for a role change goes into a half-open socket (lost); after the reconnect the
    listed locus is a delta on what the SDK holds, so its parser applies it."""
    with sdk_session() as (sim, d, mid):
        d.run("join", meeting=mid)
        # the SDK turns captions on after the join (a locus change of its own): let it land
        # first, so the role change below is the only change the half-open socket swallows
        d.wait("captions on", d.ev("captions", state="on"))
        pid = sim.participant(mid)["participantId"]
        sim.call(
            "POST", "/sim/sockets", {"meetingId": mid, "channel": "device", "action": "halfopen"}
        )
        before = d.mark()
        sim.call("POST", f"/sim/meetings/{mid}/roles", {"participantId": pid, "roles": ["COHOST"]})
        # the push went out (into the black hole) at once: its pair is what the SDK lacks
        assert sim.participant(mid)["lastSequence"] == sim.meeting(mid)["sequence"]
        mark = _reset_device_socket(sim, d, mid)
        assert not [x for x in d.find("phase", after=before) if "COHOST" in x.get("roles", [])], (
            "the push was not lost: the test proves nothing"
        )
        _synced(sim, d, mark)
        d.wait(
            "roles from the sync",
            lambda x: x.get("ev") == "phase" and "COHOST" in x.get("roles", []),
            after=mark,
        )
        assert not [x for x in d.find("sdk", after=mark) if x.get("name") == "sequence-mismatch"]


def test_the_subscription_answer_is_taken_without_an_sdk_error() -> None:
    """mercury.js `_onmessage` splits `data.eventType` of every frame but pong/shutdown; the
    answer had none, so socket-base.js logged "error while receiving WebSocket message"."""
    with sdk_session() as (sim, d, mid):
        d.run("join", meeting=mid)
        sub = d.wait("subscription", d.ev("subscribe", channel="default"))
        answer = d.wait("the answer", d.ev("subscribe.answer", channel="default", sid=sub["sid"]))
        assert answer["subscribed"] == ["transcription"]
        # a frame after it is processed too: the SDK's handling of the answer is over
        sim.call("POST", f"/sim/meetings/{mid}/transcription", {"perSecond": 4})
        d.wait("a caption after it", d.ev("caption", final=True, channel="default"))
        errors = [line for line in d.stderr if "error while receiving WebSocket message" in line]
        assert not errors, errors[:3]
