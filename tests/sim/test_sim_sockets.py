"""Socket framing: buffer_state first, ping/pong, acks, subscriptions, relays, replacement."""

from __future__ import annotations

import json

import pytest
from sim_helpers import PRACTICE, closed, live_sockets, open_ws, ping, recv_json, recv_until
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


async def joined(ctl, guest_factory, role=None, practice=False):
    await ctl.create_meeting("L1", lobby=False)
    if practice:
        await ctl.practice_session("L1", True)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1", role=role)
    return guest


def subscribe_frame(dc_url: str, subscribe=("transcription",), unsubscribe=()) -> str:
    return json.dumps(
        {
            "id": "7",
            "type": "subchannelSubscriptionRequest",
            "data": {
                "datachannelUri": dc_url,
                "subscribe": list(subscribe),
                "unsubscribe": list(unsubscribe),
            },
            "trackingId": "t_7",
        }
    )


def is_relay(frame) -> bool:
    return frame.get("data", {}).get("eventType") == "relay.event"


async def test_buffer_state_first_then_ping_pong_and_acks(sim, ctl, guest_factory):
    guest = await joined(ctl, guest_factory)
    dc_url = guest.locus["info"]["datachannelUrl"]
    token = (await guest.token()).json()["datachannelToken"]
    ws_url = (await guest.register(dc_url, token)).json()["webSocketUrl"]
    ws, first = await open_ws(ws_url)
    guest.sockets.append(ws)
    assert "type" not in first
    assert first["data"]["eventType"] == "mercury.buffer_state"
    assert first["id"] and first["sequenceNumber"] == 1

    await ws.send(json.dumps({"messageId": first["id"], "type": "ack"}))
    await ws.send(json.dumps({"id": "ping-1", "type": "ping"}))
    # numbered like every frame: the SDK checks the sequenceNumber of pongs too
    assert await recv_json(ws) == {"type": "pong", "id": "ping-1", "sequenceNumber": 2}
    view = await sim.wait_for(lambda s: (v := s.state_view("L1")) and _acked(v, guest.pid) and v)
    socket = live_sockets(view, guest.pid, "default")[0]
    assert socket["framesIn"] == 3  # authorization, ack, ping
    assert socket["framesOut"] == 2  # buffer_state, pong
    assert socket["state"] == "open"


def _acked(view, pid) -> bool:
    sockets = live_sockets(view, pid, "default")
    return bool(sockets) and sockets[0]["acks"] == 1


async def test_device_socket_of_unknown_device_is_404(sim):
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"ws://{sim.base_url.removeprefix('http://')}/mercury/nope")
    assert refused.value.response.status_code == 404
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"ws://{sim.base_url.removeprefix('http://')}/llm/nope")
    assert refused.value.response.status_code == 404


async def test_malformed_and_oversized_frames_are_ignored(sim, ctl, guest_factory):
    guest = await joined(ctl, guest_factory)
    ws = await guest.connect_channel(guest.locus["info"]["datachannelUrl"])
    for bad in (
        "not json",
        "[1, 2]",
        '{"type": 5}',
        '{"type": "subchannelSubscriptionRequest"}',
    ):
        await ws.send(bad)
    await ws.send(b"\x00\x01binary")
    await ws.send(json.dumps({"id": "big", "type": "ping", "pad": "x" * (1024 * 1024)}))
    await ws.send(json.dumps({"type": "subchannelSubscriptionRequest", "data": {"subscribe": "x"}}))
    answer = await recv_json(ws)  # the first answer: nothing before it was taken for a frame
    assert answer["data"] == {
        "eventType": "subchannelSubscriptionResponse",
        "subscribed": [],
        "unsubscribed": [],
    }
    assert await ping(ws) < 5  # still answering; the oversized ping got no pong
    frames = live_sockets(await ctl.state("L1"), guest.pid, "default")[0]
    assert frames["subscriptions"] == []
    assert frames["framesIn"] == 1 + 6 + 1 + 1
    assert frames["framesOut"] == 3


async def test_subscription_response_and_transcription_only_to_subscribed(sim, ctl, guest_factory):
    guest = await joined(ctl, guest_factory, role="PANELIST", practice=True)
    default_url = guest.locus["info"]["datachannelUrl"]
    practice_url = guest.locus["info"]["practiceSessionDatachannelUrl"]
    default_ws = await guest.connect_channel(default_url)
    practice_ws = await guest.connect_channel(practice_url, PRACTICE)

    await default_ws.send(subscribe_frame(default_url))
    answer = await recv_json(default_ws)
    assert answer.pop("id")  # every server frame has one: the SDK acks it
    assert answer.pop("sequenceNumber") == 2  # after buffer_state's 1
    assert answer == {
        "type": "subchannelSubscriptionResponse",
        "data": {
            "eventType": "subchannelSubscriptionResponse",  # mercury.js _onmessage splits it
            "subscribed": ["transcription"],
            "unsubscribed": [],
        },
    }
    assert (await guest.controls(caption=True)).status_code == 200  # captions on
    await ctl.transcription("L1", 20)
    relays = [await recv_until(default_ws, is_relay) for _ in range(4)]
    relay = relays[0]
    assert relay["headers"] == {"from": "voicea"}
    assert relay["data"]["relayType"] == "voicea.transcription"
    payload = relay["data"]["voiceaPayload"]
    # an interim result before the final of each transcript_id (a lone final throws in the
    # SDK's processNewCaptions)
    kinds = [r["data"]["voiceaPayload"]["type"] for r in relays]
    assert kinds == ["transcript_interim_results", "transcript_final_result"] * 2
    ids = [r["data"]["voiceaPayload"]["transcript_id"] for r in relays]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    transcript = relays[1]["data"]["voiceaPayload"]["transcripts"][0]
    assert transcript["text"] and transcript["transcript_language_code"] == "en"
    assert transcript["end_millis"] > transcript["start_millis"]
    assert transcript["csis"] == [guest.speaker_csi()]  # the roster's speaker: attributed
    assert payload["transcripts"][0]["text"] in transcript["text"]
    seqs = [r["sequenceNumber"] for r in relays]
    assert seqs == list(range(seqs[0], seqs[0] + 4))  # no gaps

    # The unsubscribed practice socket got nothing but its buffer_state.
    await practice_ws.send('{"id": "p", "type": "ping"}')
    pong = await recv_json(practice_ws)
    assert (pong["type"], pong["id"], pong["sequenceNumber"]) == ("pong", "p", 2)
    await practice_ws.send(subscribe_frame(practice_url))
    await recv_until(practice_ws, lambda f: f.get("type") == "subchannelSubscriptionResponse")
    await recv_until(practice_ws, is_relay)  # practice channel receives once subscribed

    await default_ws.send(subscribe_frame(default_url, (), ("transcription",)))
    await recv_until(default_ws, lambda f: f.get("data", {}).get("unsubscribed"))
    view = await ctl.state("L1")
    assert live_sockets(view, guest.pid, "default")[0]["subscriptions"] == []
    assert live_sockets(view, guest.pid, "practice")[0]["subscriptions"] == ["transcription"]
    await ctl.transcription("L1", 0)
    assert (await ctl.state("L1"))["transcriptionPerSecond"] == 0


async def test_new_socket_replaces_old_with_4000(sim, ctl, guest_factory):
    guest = await joined(ctl, guest_factory)
    dc_url = guest.locus["info"]["datachannelUrl"]
    old = await guest.connect_channel(dc_url)
    new = await guest.connect_channel(dc_url)
    exc = await closed(old)
    assert (exc.rcvd.code, exc.rcvd.reason) == (4000, "replaced")
    assert await ping(new) < 5
    view = await sim.wait_for(
        lambda s: len(live_sockets(v := s.state_view("L1"), guest.pid, "default")) == 1 and v
    )
    assert participant_registrations(view, guest.pid) == 2


def participant_registrations(view, pid):
    return next(p for p in view["participants"] if p["participantId"] == pid)["channels"][
        "default"
    ]["registrations"]


async def test_leave_closes_channels_and_invalidates_urls(sim, ctl, guest_factory, http):
    guest = await joined(ctl, guest_factory)
    dc_url = guest.locus["info"]["datachannelUrl"]
    token = (await guest.token()).json()["datachannelToken"]
    ws_url = (await guest.register(dc_url, token)).json()["webSocketUrl"]
    ws, _ = await open_ws(ws_url)
    guest.sockets.append(ws)
    await http.put(f"{guest.locus_url}/participant/{guest.pid}/leave", json={})
    exc = await closed(ws)
    assert exc.rcvd.code == 1000 and exc.rcvd.reason == "participant left"
    with pytest.raises(InvalidStatus) as refused:
        await connect(ws_url)
    assert refused.value.response.status_code == 404


async def test_back_to_lobby_and_demotion_close_sockets(sim, ctl, guest_factory):
    guest = await joined(ctl, guest_factory, role="PANELIST", practice=True)
    default_ws = await guest.connect_channel(guest.locus["info"]["datachannelUrl"])
    practice_ws = await guest.connect_channel(
        guest.locus["info"]["practiceSessionDatachannelUrl"], PRACTICE
    )
    await ctl.set_roles("L1", guest.pid, ["ATTENDEE"])
    exc = await closed(practice_ws)
    assert (exc.rcvd.code, exc.rcvd.reason) == (1000, "no longer a panelist")
    assert await ping(default_ws) < 5  # the default channel is untouched
    await ctl.to_lobby("L1", guest.pid)
    exc = await closed(default_ws)
    assert exc.rcvd.reason == "moved to the lobby"


async def test_stop_closes_sockets_with_1001(ctl, guest_factory, sim):
    guest = await joined(ctl, guest_factory)
    ws = await guest.connect_channel(guest.locus["info"]["datachannelUrl"])
    await sim.stop()
    exc = await closed(ws)
    assert exc.rcvd.code == 1001
    await sim.stop()  # idempotent
