"""Captions: `PUT {locusUrl}/controls/`, the host's captions switch, voicea's announce reply,
and transcription only while captions are on (PROTOCOL.md section 5)."""

from __future__ import annotations

import json

import httpx
from sim_helpers import Guest, auth_frame, live_sockets, recv_until
from test_sim_sockets import is_relay, subscribe_frame
from websockets.asyncio.client import connect


def annc_frame(binding: str) -> str:
    return json.dumps(
        {
            "id": "1",
            "type": "publishRequest",
            "recipients": {"route": binding},
            "headers": {},
            "data": {
                "clientPayload": {"version": "v2"},
                "eventType": "relay.event",
                "relayType": "client.annc",
            },
            "trackingId": "t_1",
        }
    )


async def subscribed_guest(ctl, guest_factory, **create):
    await ctl.create_meeting("L1", lobby=False, **create)
    guest = guest_factory()
    await guest.register_device()
    await guest.join("L1")
    dc_url = guest.locus["info"]["datachannelUrl"]
    ws = await guest.connect_channel(dc_url)
    await ws.send(subscribe_frame(dc_url))
    await recv_until(ws, lambda f: f.get("type") == "subchannelSubscriptionResponse")
    return guest, ws


async def test_put_controls_turns_captions_on_for_everyone(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    ann = guest_factory()
    # the caller is found by its user token (the SDK's body names no participant)
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers={"Authorization": "Bearer bob"}, trust_env=False
    ) as bob_http:
        bob = Guest(bob_http)
        try:
            for guest, name in ((ann, "Ann"), (bob, "Bob")):
                await guest.register_device()
                await guest.join("L1", name=name)
                await guest.next_locus()  # the join's own push
            await captions_for_everyone(ctl, ann, bob)
        finally:
            await bob.close()


async def captions_for_everyone(ctl, ann: Guest, bob: Guest) -> None:
    answer = await ann.controls(caption=True)
    assert answer.status_code == 200, answer.text
    locus = answer.json()["locus"]
    assert locus["controls"]["transcribe"]["caption"] is True
    assert locus["self"]["id"] == ann.pid
    assert locus["baseSequence"]["entries"][0] < locus["sequence"]["entries"][0]
    pushed = await ann.next_locus(lambda lo: lo["controls"]["transcribe"]["caption"])
    assert pushed["sequence"] == locus["sequence"]  # push and answer of one change agree
    assert pushed["baseSequence"] == locus["baseSequence"]
    await bob.next_locus(lambda lo: lo["controls"]["transcribe"]["caption"])
    assert (await ctl.state("L1"))["captions"] == {"enabled": True}

    await ctl.captions("L1", False)  # the host turns them off
    await bob.next_locus(lambda lo: lo["controls"]["transcribe"]["caption"] is False)
    assert (await ctl.state("L1"))["captions"] == {"enabled": False}
    again = await ann.controls(caption=False)  # safe to repeat: the locus as it is
    assert again.status_code == 200
    assert again.json()["locus"]["controls"]["transcribe"]["caption"] is False


async def test_controls_bad_input_and_callers(sim, ctl, guest_factory, http):
    await ctl.create_meeting("L1", lobby=True)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    lobby = await guest.controls(caption=True)
    assert lobby.status_code == 403 and "admitted" in lobby.json()["message"]
    await ctl.admit("L1")
    url = f"{guest.locus_url}/controls/"
    for body, word in (
        ({"transcribe": 1}, "transcribe"),
        ({"transcribe": {"caption": 2}}, "caption"),
    ):
        answer = await http.put(url, json=body)
        assert answer.status_code == 400 and word in answer.json()["message"]
    other = await http.put(url, json={"lock": {"locked": True}})  # accepted, left as is
    assert other.status_code == 200 and other.json()["locus"]["controls"]["transcribe"]
    stranger = await http.put(
        url,
        json={"transcribe": {"caption": True}},
        headers={"authorization": "Bearer somebody-else"},
    )
    assert stranger.status_code == 403
    assert (await http.put("/locus/api/v1/loci/nope/controls/", json={})).status_code == 404


async def test_announce_gets_a_voicea_annc_relay(sim, ctl, guest_factory):
    guest, ws = await subscribed_guest(ctl, guest_factory)
    binding = live_sockets(await ctl.state("L1"), guest.pid, "default")[0]["binding"]
    await ws.send(annc_frame(binding))
    annc = await recv_until(ws, lambda f: f.get("data", {}).get("relayType") == "voicea.annc")
    assert annc["id"] and annc["headers"] == {"from": "voicea"}
    payload = annc["data"]["voiceaPayload"]
    assert payload["ASR"]["spoken_languages"] and payload["translation"]["max_languages"]


async def test_transcription_flows_only_while_captions_are_on(sim, ctl, guest_factory):
    guest, ws = await subscribed_guest(ctl, guest_factory, transcription_per_second=20)
    assert (await ctl.state("L1"))["transcriptionPerSecond"] == 20  # set at creation
    # captions off: the ticker runs, nothing is relayed. Wait for a few ticks, then a pong
    # (queued after anything those ticks sent) proves no relay went out.
    ticks = sim.engine.voicea.clocks["L1"]
    start = ticks.index
    await sim.wait_for(lambda s: ticks.index >= start + 3)
    await ws.send('{"id": "mark", "type": "ping"}')
    before_pong = []
    await recv_until(ws, lambda f: before_pong.append(f) or f.get("type") == "pong")
    assert not [f for f in before_pong if is_relay(f)]

    assert (await guest.controls(caption=True)).status_code == 200
    first = await recv_until(ws, is_relay)
    assert first["data"]["voiceaPayload"]["type"] == "transcript_interim_results"
    await ctl.captions("L1", False)
    state = await ctl.state("L1")
    assert state["captions"] == {"enabled": False} and state["transcriptionPerSecond"] == 20
    faults = await ctl.faults()
    assert {"meetingId": "L1", "perSecond": 20.0, "captions": False} in faults["transcription"]


async def test_a_socket_not_subscription_aware_gets_captions_unsubscribed(sim, ctl, guest_factory):
    """The SDK with the JWT feature off opens its socket without
    `subscriptionAwareSubchannels` and never subscribes (llm.ts, voicea.ts): transcription
    reaches it as it would a client that knows nothing of subscriptions."""
    await ctl.create_meeting("L1", lobby=False, transcription_per_second=20)
    await ctl.features(False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    answer = await guest.register(guest.locus["info"]["datachannelUrl"], None)
    query = "outboundWireFormat=text&bufferStates=true&aliasHttpStatus=true"
    ws, _ = await open_plain(answer.json()["webSocketUrl"] + "?" + query)
    guest.sockets.append(ws)
    assert (await guest.controls(caption=True)).status_code == 200
    relay = await recv_until(ws, is_relay)
    assert relay["data"]["voiceaPayload"]["type"] == "transcript_interim_results"
    socket = live_sockets(await ctl.state("L1"), guest.pid, "default")[0]
    assert socket["subscriptions"] == [] and socket["subscriptionAware"] == []


async def open_plain(url: str):
    """Connect with exactly this query (open_ws adds the SDK's, aware included)."""
    ws = await connect(url, open_timeout=5, close_timeout=1)
    await ws.send(auth_frame())
    return ws, json.loads(await ws.recv())
