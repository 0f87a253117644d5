"""`GET /locus/api/v1/loci` (the SDK's syncMeetings) and the subscription answer's eventType.

3.12.0 calls `GET /loci` at every device-socket online (`meetings/index.ts` listenForEvents ->
syncMeetings) and destroys each of its meetings whose locusUrl is not listed
(NO_MEETINGS_TO_SYNC); each listed locus goes through `locus-info/parser.ts` like a push.
"""

from __future__ import annotations

import json

import httpx
from sim_helpers import DEFAULT, live_sockets, participant, recv_json

from app.core.protocol import SubscriptionResponse, parse_frame


async def loci(http: httpx.AsyncClient, device_url: str | None = None) -> list[dict]:
    headers = {"cisco-device-url": device_url} if device_url else {}
    answer = await http.get("/locus/api/v1/loci", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["locusUrls"] == [lo["url"] for lo in body["loci"]]
    return body["loci"]


def by_url(listed: list[dict]) -> dict[str, dict]:
    return {lo["url"]: lo for lo in listed}


async def test_loci_lists_the_joined_and_lobby_meetings_of_the_device(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=True)
    await ctl.create_meeting("L2", lobby=False)
    await ctl.create_meeting("L3", lobby=False)
    ann, bob = guest_factory(), guest_factory()
    await ann.register_device()
    await bob.register_device()
    lobby = await ann.join("L1", "Ann")
    joined = await ann.join("L2", "Ann")

    mine = by_url(await loci(ann.http, ann.device_url))
    assert set(mine) == {lobby["url"], joined["url"]}  # the SDK's meeting.locusUrl, exactly
    for answer, listed in ((lobby, mine[lobby["url"]]), (joined, mine[joined["url"]])):
        # the full locus as its participant sees it, with the pair the join answer carried
        # (nothing changed since): the SDK's parser finds it EQUAL and keeps its copy
        assert listed["self"]["id"] == answer["self"]["id"]
        assert listed["self"]["devices"][0]["url"] == ann.device_url
        assert listed["sequence"] == answer["sequence"]
        assert listed["baseSequence"] == answer["baseSequence"]
        assert set(listed["sequence"]) == {"entries", "rangeStart", "rangeEnd"}
        assert listed["fullState"]["state"] == "ACTIVE"
        assert listed["participants"] and listed["info"]["webExMeetingId"]
    assert mine[lobby["url"]]["self"]["state"] == "IDLE"
    assert mine[lobby["url"]]["self"]["devices"][0]["intent"]["type"] == "WAIT"
    assert mine[joined["url"]]["self"]["state"] == "JOINED"

    # Bob's device sees his own two, each with his own self
    await bob.join("L2", "Bob")
    await bob.join("L3", "Bob")
    theirs = by_url(await loci(bob.http, bob.device_url))
    assert set(theirs) == {joined["url"], f"{sim.base_url}/locus/api/v1/loci/L3"}
    assert theirs[joined["url"]]["self"]["devices"][0]["url"] == bob.device_url

    # left and ended meetings are not listed; a device in none gets an empty list
    left = await ann.http.put(f"{joined['url']}/participant/{ann.pid}/leave", json={})
    assert left.status_code == 200
    assert [lo["url"] for lo in await loci(ann.http, ann.device_url)] == [lobby["url"]]
    await ctl.end_meeting("L1")
    assert await loci(ann.http, ann.device_url) == []
    nobody = guest_factory()
    await nobody.register_device(with_socket=False)
    assert await loci(nobody.http, nobody.device_url) == []


async def test_loci_without_a_device_is_per_user_and_needs_a_token(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    ann = guest_factory()
    await ann.register_device()
    await ann.join("L1")
    listed = await loci(ann.http)  # no cisco-device-url: the user token decides
    assert [lo["self"]["id"] for lo in listed] == [ann.pid]
    query = await ann.http.get("/locus/api/v1/loci", params={"deviceUrl": ann.device_url})
    assert [lo["self"]["id"] for lo in query.json()["loci"]] == [ann.pid]
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as anonymous:
        assert (await anonymous.get("/locus/api/v1/loci")).status_code == 401


async def test_loci_after_missed_pushes_is_a_delta_on_what_the_client_holds(
    sim, ctl, guest_factory
):
    """The device socket was down while the locus changed (the SDK's case: it syncs at the
    next online): the listed locus is based on the last one sent, so parser.ts applies it,
    and the push that follows for the same change carries the same pair (never a desync)."""
    await ctl.create_meeting("L1", lobby=False)
    ann = guest_factory()
    await ann.register_device()
    held = await ann.join("L1")
    await ann.next_locus()  # the join's push: same pair as the answer
    assert ann.device_ws is not None
    await ann.device_ws.close()
    # the server saw it go: the change below reaches no socket
    await sim.wait_for(lambda s: not live_sockets(s.state_view("L1"), ann.pid, "device"))
    await ctl.set_roles("L1", ann.pid, ["PANELIST"])  # a change nobody was pushed

    (listed,) = await loci(ann.http, ann.device_url)
    assert listed["baseSequence"] == held["sequence"]  # base == the client's copy: applied
    assert listed["sequence"]["entries"][0] > held["sequence"]["entries"][0]
    assert {"type": "PANELIST", "hasRole": True} in listed["self"]["controls"]["role"]["roles"]
    (again,) = await loci(ann.http, ann.device_url)
    assert (again["sequence"], again["baseSequence"]) == (
        listed["sequence"],
        listed["baseSequence"],
    )
    view = await ctl.state("L1")
    assert participant(view, ann.pid)["lastSequence"] == listed["sequence"]["entries"][0]


async def test_every_data_channel_frame_but_pong_names_an_event_type(sim, ctl, guest_factory):
    """mercury.js `_onmessage` calls `_getEventHandlers(data.eventType)` (a `split`) on every
    frame but `pong` and `shutdown`: a subscription answer without one threw there."""
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device()
    await guest.join("L1")
    url = guest.locus["info"]["datachannelUrl"]
    ws = await guest.connect_channel(url, DEFAULT)
    sub = {"datachannelUri": url, "subscribe": ["transcription"], "unsubscribe": []}
    await ws.send(json.dumps({"id": "1", "type": "subchannelSubscriptionRequest", "data": sub}))
    assert (await guest.controls(caption=True)).status_code == 200
    announce = {"eventType": "relay.event", "relayType": "client.annc", "clientPayload": {}}
    await ws.send(json.dumps({"id": "2", "type": "publishRequest", "data": announce}))
    await ctl.transcription("L1", 20)
    await ws.send('{"id": "p", "type": "ping"}')
    frames: list[dict] = []
    wanted = {"subchannelSubscriptionResponse", "pong", "voicea.annc", "voicea.transcription"}
    seen: set[str] = set()
    while not wanted <= seen:  # recv_json's deadline bounds each wait
        frame = await recv_json(ws)
        frames.append(frame)
        seen.add(frame.get("type") or frame["data"].get("relayType") or "?")
    for frame in frames:
        if frame.get("type") in ("pong", "shutdown"):
            continue
        event_type = frame["data"]["eventType"]
        assert isinstance(event_type, str) and event_type, frame
    (answer,) = [f for f in frames if f.get("type") == "subchannelSubscriptionResponse"]
    # it names no SDK plugin namespace, so no autowired handler runs for it; nobody listens
    # to `event:subchannelSubscriptionResponse`
    assert answer["data"]["eventType"] == "subchannelSubscriptionResponse"
    parsed = parse_frame(json.dumps(answer))  # dcmon's core reads it as before
    assert isinstance(parsed, SubscriptionResponse)
    assert parsed.subscribed == ("transcription",) and parsed.unsubscribed == ()
