"""SCENARIOS.md "Bad input": the app keeps running, says clearly what went wrong, loses nothing."""

from __future__ import annotations

import contextlib
import json
import socket

import httpx
import pytest
from websockets.asyncio.server import serve

from app.core.connection import Connection, Listener
from app.core.events import EventKind
from app.core.meeting import JoinError, MeetingClient
from app.core.settings import TEST
from app.core.watch import Watch
from tests.conftest import USER_TOKEN

from .helpers import T, admitted_online, kind, online

USER = "bad-input-user-token-123456"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/", "http://", ""])
def test_server_url_that_is_not_a_url(url: str) -> None:
    with pytest.raises(ValueError, match="not an http"):
        MeetingClient(url, USER, TEST)


async def test_server_that_is_down() -> None:
    client = MeetingClient(f"http://127.0.0.1:{free_port()}", USER, TEST)
    watch = Watch(client.hub)
    try:
        with pytest.raises(JoinError, match="cannot connect"):
            await client.join("m")
        assert any(
            e.kind is EventKind.ERROR and "cannot connect" in e.summary for e in watch.events
        )
        assert client.snapshot.last_error and "cannot connect" in client.snapshot.last_error
    finally:
        await client.close()


async def test_endpoint_that_hangs_times_out_with_a_message(sim, host) -> None:
    client = MeetingClient(sim.base_url, USER, TEST.with_(http_timeout=0.5))
    try:
        await host.create_meeting("hang", lobby=False, webinar=False)
        await host.fault("join", "hang")
        with pytest.raises(JoinError, match="timed out"):
            await client.join("hang")
        await host.clear_faults()
        await client.join("hang")  # still usable afterwards
        assert client.snapshot.badge == "Admitted"
    finally:
        await client.close()


async def test_http_500_with_an_html_body(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("h500", lobby=False, webinar=False)
    await host.fault("join", "error", status=500, count=1)
    with pytest.raises(JoinError) as info:
        await client.join("h500")
    message = str(info.value)
    assert "HTTP 500" in message and "text/html" in message and "<html" not in message
    await client.join("h500")
    await watch.until(online("default"), T, "joins fine on the next try")


async def test_hanging_token_endpoint_shows_an_error_and_recovers(sim, host, make_client) -> None:
    client, watch = make_client(TEST.with_(http_timeout=0.3))
    await host.create_meeting("tok-hang", lobby=False, webinar=False, token_ttl_secs=20)
    await host.fault("token", "hang")
    await client.join("tok-hang")  # the join answer's token lives 20 s: refreshed before use
    err = await watch.event(kind(EventKind.ERROR, "default"), T, "token timeout shown")
    assert "timed out" in err.summary
    await host.clear_faults()
    await watch.until(online("default"), T, "online once the token service answers")


async def test_unknown_meeting_is_a_clear_join_error(sim, make_client) -> None:
    client, _ = make_client()
    with pytest.raises(JoinError, match="404"):
        await client.join("no-such-meeting")


async def test_events_survive_a_failed_join(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = None
    with pytest.raises(JoinError):
        await client.join("missing")
    before = len(watch.events)
    pid = await admitted_online(client, watch, host, "after-fail", lobby=False)
    assert pid and len(watch.events) > before
    assert any("could not join 'missing'" in e.summary for e in watch.events[:before])


BAD_FRAMES = [
    ("malformed JSON", '{"id": "x", "data": {', "malformed JSON"),
    ("wrong shape", "[1, 2, 3]", "not an object"),
    ("wrong field types", '{"id": "w", "type": 7}', "'type' is not a string"),
    ("over the size limit", '{"pad": "' + "a" * (1 << 20) + '"}', "over the"),
]


@pytest.mark.parametrize(("what", "frame", "message"), BAD_FRAMES, ids=[b[0] for b in BAD_FRAMES])
async def test_bad_frame_is_reported_and_the_socket_stays_online(
    sim, host, make_client, what, frame, message
) -> None:
    client, watch = make_client()
    await admitted_online(client, watch, host, "frames", lobby=False)
    await host.transcription("frames", 20)
    mark = watch.mark()
    await host.socket("frames", "default", "send", frame=frame)
    bad = await watch.event(kind(EventKind.BAD_INPUT, "default"), T, f"{what} reported", mark)
    assert message in bad.summary
    # nothing was lost or broken: the socket stays up and the next frames still arrive
    await watch.event(kind(EventKind.TRANSCRIPT, "default"), T, "captions continue", bad.seq)
    assert client.snapshot.channel("default").state.value == "online"
    assert client.snapshot.channel("default").connects == 1


async def test_unknown_frame_type_is_acked_and_ignored(sim, host, make_client) -> None:
    client, watch = make_client()
    pid = await admitted_online(client, watch, host, "unknown", lobby=False)
    frames_before = client.snapshot.channel("default").frames_in
    await host.socket("unknown", "default", "send", frame='{"id": "u1", "type": "brandNewThing"}')
    await watch.until(lambda s: s.channel("default").frames_in > frames_before, T, "frame received")
    await watch.count(kind(EventKind.RTT, "default"), 2, T, "still pinging", watch.mark())
    assert not [e for e in watch.events if e.kind is EventKind.BAD_INPUT]
    assert client.snapshot.channel("default").connects == 1
    assert pid


async def test_registration_answer_without_web_socket_url(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("nows", lobby=False, webinar=False)
    await host.fault("register", "body", body_text='{"binding": "b-1"}', count=1)
    await client.join("nows")
    err = await watch.event(kind(EventKind.ERROR, "default"), T, "clear error")
    assert "no webSocketUrl" in err.summary
    await watch.until(online("default"), T, "the retry registers properly")


async def test_token_that_is_not_a_jwt(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("notjwt", lobby=True, webinar=False)
    await client.join("notjwt")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    answer = json.dumps(
        {"datachannelToken": "definitely-not-a-jwt", "dataChannelTokenType": "llm-default-session"}
    )
    await host.fault("token", "body", body_text=answer, count=1)
    await host.admit("notjwt")
    warn = await watch.event(
        lambda e: e.kind is EventKind.TOKEN and "not a JWT" in e.summary, T, "warning shown"
    )
    assert "definitely-not-a-jwt" not in warn.summary  # masked even when broken
    # the simulator refuses it (401): refresh once, retry, online with a real token
    await watch.event(kind(EventKind.HTTP, "default", retried=True), T, "retried")
    await watch.until(online("default"), T, "online")


async def test_token_answer_with_malformed_json(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("tokjson", lobby=True, webinar=False)
    await client.join("tokjson")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    await host.fault("token", "body", body_text="{not json", count=1)
    await host.admit("tokjson")
    err = await watch.event(kind(EventKind.ERROR, "default"), T, "clear error")
    assert "token" in err.summary
    await watch.until(online("default"), T, "online after the retry")


# ---- PROTOCOL.md v2 bad input ----------------------------------------------------------


async def test_token_answer_without_datachannel_token(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("tokmissing", lobby=True, webinar=False)
    await client.join("tokmissing")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    answer = json.dumps({"dataChannelTokenType": "llm-default-session"})
    await host.fault("token", "body", body_text=answer, count=1)
    await host.admit("tokmissing")
    err = await watch.event(kind(EventKind.ERROR, "default"), T, "clear error")
    assert "no datachannelToken" in err.summary
    assert client.snapshot.tokens["llm-default-session"].last_ok is False
    await watch.until(online("default"), T, "online after the retry: nothing lost")
    assert client.snapshot.tokens["llm-default-session"].masked != "-"


async def test_locus_with_a_lower_sequence_is_ignored(sim, host, make_client) -> None:
    client, watch = make_client()
    await admitted_online(client, watch, host, "oldlocus", lobby=False)
    held = client.snapshot.locus_sequence
    assert held is not None
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            client.snapshot.locus_url, headers={"Authorization": f"Bearer {USER_TOKEN}"}
        )
    locus = answer.json()["locus"]
    locus["self"]["state"] = "LEFT"  # would end our meeting if it were applied
    locus["sequence"] = {"entries": [held - 1], "rangeStart": 0, "rangeEnd": 0}
    locus.pop("baseSequence", None)
    frame = {"id": "old-1", "data": {"eventType": "locus.difference",
             "locusUrl": locus["url"], "locus": locus}}  # fmt: skip
    mark = watch.mark()
    await host.socket("oldlocus", "device", "send", frame=json.dumps(frame))
    ignored = await watch.event(kind(EventKind.LOCUS, "meeting"), T, "older locus noted", mark)
    assert "older locus" in ignored.summary and ignored.data["held"] == held
    snap = client.snapshot
    assert snap.phase.value == "joined" and snap.stale_loci == 1
    assert snap.locus_sequence == held
    await watch.count(kind(EventKind.RTT, "default"), 2, T, "default still up", watch.mark())
    assert client.snapshot.channel("default").connects == 1


async def test_shutdown_frame_on_a_socket_that_is_not_online() -> None:
    """A server whose first frame is `shutdown`: reported, no switchover, never online."""
    seen: list[str] = []
    connections = 0

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        nonlocal connections
        connections += 1
        await ws.recv()  # the authorization frame
        await ws.send(json.dumps({"id": "s1", "type": "shutdown"}))
        await ws.send(json.dumps({"id": "b1", "data": {"eventType": "mercury.buffer_state"}}))
        with contextlib.suppress(Exception):
            async for _ in ws:
                pass

    class Record(Listener):
        def bad_input(self, message: str) -> None:
            seen.append(message)

        def shutdown(self) -> None:
            seen.append("SWITCHOVER STARTED")

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        conn = Connection(TEST.with_(connect_timeout=0.5), USER, Record())
        await conn.open(f"ws://127.0.0.1:{port}/x")
        outcome = await conn.run()
    assert not outcome.online and outcome.by_client  # timed out waiting for online
    assert "SWITCHOVER STARTED" not in seen and connections == 1
    assert any("shutdown frame on a socket that is not online" in m for m in seen)
    assert any("first frame was not mercury.buffer_state" in m for m in seen)


async def test_503_without_retry_after_waits_the_default(sim, host, make_client) -> None:
    client, watch = make_client()
    await host.create_meeting("noretryafter", lobby=True, webinar=False)
    await client.join("noretryafter")
    await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
    await host.fault("token", "error", status=503, count=1, retry_after=False)
    await host.admit("noretryafter")
    retry = await watch.event(kind(EventKind.RETRY, "http", what="token"), T, "retried")
    assert retry.data["delay"] == TEST.locus_retry_delay
    assert retry.data["source"] == "no Retry-After: default"
    await watch.until(online("default"), T, "online: nothing lost")


async def test_device_answer_without_features(sim, host, make_client) -> None:
    await host.features(False)  # the device the fault answers with does not enforce tokens
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{sim.base_url}/wdm/api/v1/devices",
            json={"name": "x", "deviceType": "WEB"},
            headers={"Authorization": f"Bearer {USER_TOKEN}"},
        )
    device = answer.json()
    device.pop("features", None)
    await host.fault("device", "body", body_text=json.dumps(device), count=1)
    client, watch = make_client()
    await host.create_meeting("nofeatures", lobby=False, webinar=False)
    await client.join("nofeatures")
    await watch.until(online("default", confirmed=False), T, "default online")
    note = next(e for e in watch.events if kind(EventKind.BAD_INPUT, "device")(e))
    assert "no features" in note.summary and "taken as off" in note.summary
    snap = client.snapshot
    assert snap.jwt_feature is False and snap.features_note == note.summary
    assert snap.channel("default").state.value == "online"  # the app carries on


async def test_server_frame_without_an_id_is_reported_and_kept(sim, host, make_client) -> None:
    """The SDK's _acknowledge rejects it unhandled (fatal in Node); dcmon says so, acks
    nothing, still delivers the frame and stays online."""
    client, watch = make_client()
    await admitted_online(client, watch, host, "noid", lobby=False)
    frame = {"data": {"eventType": "relay.event", "relayType": "voicea.transcription",
             "voiceaPayload": {"type": "transcript_final_result", "transcripts": [
                 {"text": "no id here", "transcript_language_code": "en"}]}}}  # fmt: skip
    mark = watch.mark()
    await host.socket("noid", "default", "send", frame=json.dumps(frame))
    bad = await watch.event(kind(EventKind.BAD_INPUT, "default", no_id=True), T, "reported", mark)
    assert "without an id" in bad.summary
    said = await watch.event(kind(EventKind.TRANSCRIPT, "default"), T, "still delivered", mark)
    assert said.data["text"] == "no id here"
    assert client.snapshot.channel("default").connects == 1
