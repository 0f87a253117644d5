"""Locus side: devices, join, lobby, admit, pushes, keep-alive, leave, end (PROTOCOL.md 2)."""

from __future__ import annotations

import time

import httpx
import pytest
from sim_helpers import (
    DEFAULT,
    PRACTICE,
    USER,
    live_sockets,
    open_ws,
    participant,
    recv_until,
    refused_close,
)

from app.sim import Simulator
from app.sim.tokens import decode_unverified


async def test_lobby_join_admit_pushes_full_locus(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=True, webinar=True)
    guest = guest_factory()
    await guest.register_device()
    assert guest.device_ws_url.startswith("ws://127.0.0.1:")

    locus = await guest.join("L1")
    me = locus["self"]
    device = me["devices"][0]
    assert locus["url"] == f"{sim.base_url}/locus/api/v1/loci/L1"
    assert me["state"] == "IDLE"
    assert device["url"] == guest.device_url
    assert device["intent"]["type"] == "WAIT"
    assert device["correlationId"] == guest.correlation_id  # echoed: the SDK matches by it
    assert me["status"] == {"audioStatus": "INACTIVE", "videoStatus": "INACTIVE", "csis": []}
    assert device["keepAliveSecs"] == 20
    assert device["keepAliveUrl"] == f"{locus['url']}/participant/{guest.pid}/keepAlive"
    assert me["controls"]["role"]["roles"] == [{"type": "ATTENDEE", "hasRole": True}]
    assert "datachannelToken" not in me  # a guest in the lobby gets no token
    assert "datachannelUrl" not in locus["info"]
    assert locus["controls"]["practiceSession"] == {"enabled": False}
    assert locus["controls"]["transcribe"]["caption"] is False
    assert locus["fullState"]["state"] == "ACTIVE"
    assert locus["sequence"] == {"entries": [1001], "rangeStart": 0, "rangeEnd": 0}
    assert locus["baseSequence"]["entries"] == [1000]
    pushed = await guest.next_locus()
    assert pushed["self"]["state"] == "IDLE"
    assert pushed["sequence"] == locus["sequence"]  # the same change: the SDK keeps one
    assert pushed["baseSequence"] == locus["baseSequence"]

    await ctl.admit("L1")
    admitted = await guest.next_locus(lambda lo: lo["self"]["state"] == "JOINED")
    device = admitted["self"]["devices"][0]
    assert device["state"] == "JOINED"
    assert "intent" not in device
    assert admitted["info"]["datachannelUrl"].endswith("/registrations")
    assert "practiceSessionDatachannelUrl" not in admitted["info"]
    assert admitted["baseSequence"] == locus["sequence"]  # follows what the client holds
    assert admitted["sequence"]["entries"][0] > locus["sequence"]["entries"][0]
    view = await ctl.state("L1")
    assert view["sequence"] == admitted["sequence"]["entries"][0]
    assert participant(view, guest.pid)["phase"] == "joined"
    assert live_sockets(view, guest.pid, "device")[0]["framesOut"] >= 3


async def test_push_frames_carry_increasing_sequence_numbers(sim, ctl, guest_factory):
    await ctl.create_meeting("L1")
    guest = guest_factory()
    await guest.register_device()
    await guest.join("L1")
    await ctl.set_roles("L1", guest.pid, ["PANELIST"])
    await ctl.admit("L1")
    seqs = []
    for _ in range(3):
        frame = await recv_until(guest.device_ws, lambda f: "sequenceNumber" in f)
        seqs.append(frame["sequenceNumber"])
    assert seqs == sorted(seqs) and len(set(seqs)) == 3 and seqs[0] >= 2


async def test_join_unknown_meeting_is_404_json(http):
    answer = await http.post("/locus/api/v1/loci/nope/participant", json={"deviceUrl": "d"})
    assert answer.status_code == 404
    assert "nope" in answer.json()["message"]


async def test_join_bad_body_is_400_json(sim, ctl, http):
    await ctl.create_meeting("L1")
    answer = await http.post("/locus/api/v1/loci/L1/participant", content=b"{not json")
    assert answer.status_code == 400
    assert "JSON" in answer.json()["message"]
    answer = await http.post("/locus/api/v1/loci/L1/participant", json={"displayName": "x"})
    assert answer.status_code == 400 and "device" in answer.json()["message"]


async def test_join_without_lobby_carries_tokens(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False, token_ttl_secs=600)
    await ctl.practice_session("L1", True)
    attendee, panelist = guest_factory(), guest_factory()
    for g in (attendee, panelist):
        await g.register_device(with_socket=False)
    before = int(time.time())
    locus = await attendee.join("L1")
    assert locus["self"]["state"] == "JOINED"
    assert "practiceSessionDatachannelToken" not in locus["self"]
    claims = decode_unverified(locus["self"]["datachannelToken"])
    assert claims["sub"] == attendee.pid and claims["tokenType"] == DEFAULT
    assert before + 600 <= claims["exp"] <= int(time.time()) + 600
    assert locus["info"]["practiceSessionDatachannelUrl"].endswith("/registrations")

    locus = await panelist.join("L1", name="Pat", role="PANELIST")
    claims = decode_unverified(locus["self"]["practiceSessionDatachannelToken"])
    assert claims["tokenType"] == PRACTICE and claims["sub"] == panelist.pid
    view = await ctl.state("L1")
    assert view["tokensIssued"] == {DEFAULT: 2, PRACTICE: 1}


async def test_fixed_user_token_rejects_others():
    async with Simulator(user_token="right") as sim:
        async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as http:
            wrong = await http.post(
                "/wdm/api/v1/devices", json={}, headers={"Authorization": "Bearer wrong"}
            )
            assert wrong.status_code == 401
            missing = await http.post("/wdm/api/v1/devices", json={})
            assert missing.status_code == 401
            ok = await http.post(
                "/wdm/api/v1/devices", json={}, headers={"Authorization": "Bearer right"}
            )
            assert ok.status_code == 200
            ws_url = ok.json()["webSocketUrl"]
            assert await refused_close(ws_url, USER) == (4401, "unauthorized")
            assert (await refused_close(ws_url, None))[0] == 4401  # no authorization frame
            ws, first = await open_ws(ws_url, token="right")
            assert first["data"]["eventType"] == "mercury.buffer_state"
            await ws.close()


async def test_same_device_joining_again_replaces_the_old_record(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    first = (await guest.join("L1"))["self"]["id"]
    second = (await guest.join("L1"))["self"]["id"]
    assert first != second
    view = await ctl.state("L1")
    assert participant(view, first)["phase"] == "left"
    assert participant(view, second)["phase"] == "joined"


async def test_leave_and_end_meeting_push_left(sim, ctl, guest_factory, http):
    await ctl.create_meeting("L1", lobby=False)
    ann, bob = guest_factory(), guest_factory()
    for g in (ann, bob):
        await g.register_device()
        await g.join("L1")
    leave = await http.put(
        f"{ann.locus_url}/participant/{ann.pid}/leave", json={"deviceUrl": ann.device_url}
    )
    assert leave.status_code == 200 and leave.json()["locus"]["self"]["state"] == "LEFT"
    await ann.next_locus(lambda lo: lo["self"]["state"] == "LEFT")

    await ctl.end_meeting("L1")
    ended = await bob.next_locus(lambda lo: lo["self"]["state"] == "LEFT")
    assert "datachannelUrl" not in ended["info"]
    view = await ctl.state("L1")
    assert view["ended"] is True
    assert {p["phase"] for p in view["participants"]} == {"left"}
    assert (await ctl.end_meeting("L1"))["ended"] is True  # safe to repeat
    again = await http.post("/locus/api/v1/loci/L1/participant", json={"deviceUrl": "x"})
    assert again.status_code == 404


async def test_resync_answers_the_callers_locus(sim, ctl, guest_factory, http):
    await ctl.create_meeting("L1")
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    await ctl.admit("L1", guest.pid)
    answer = await http.get(guest.locus_url)
    assert answer.status_code == 200
    assert answer.json()["locus"]["self"]["id"] == guest.pid
    assert answer.json()["locus"]["self"]["state"] == "JOINED"
    stranger = await http.get(guest.locus_url, headers={"Authorization": "Bearer someone-else"})
    assert stranger.status_code == 404


async def test_roles_practice_and_rotation_are_pushed(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device()
    await guest.join("L1")
    await ctl.set_roles("L1", guest.pid, ["PANELIST"])
    promoted = await guest.next_locus(
        lambda lo: {"type": "PANELIST", "hasRole": True} in lo["self"]["controls"]["role"]["roles"]
    )
    assert "practiceSessionDatachannelUrl" not in promoted["info"]
    await ctl.practice_session("L1", True)
    practice = await guest.next_locus(lambda lo: lo["controls"]["practiceSession"]["enabled"])
    old_url = practice["info"]["practiceSessionDatachannelUrl"]
    rotated = await ctl.rotate("L1", "practice")
    assert rotated["datachannelUrl"] != old_url
    pushed = await guest.next_locus(
        lambda lo: lo["info"].get("practiceSessionDatachannelUrl") == rotated["datachannelUrl"]
    )
    assert pushed["info"]["datachannelUrl"] == practice["info"]["datachannelUrl"]


@pytest.mark.timeout(15)
async def test_keepalive_is_counted_and_silence_removes_from_lobby(sim, ctl, guest_factory, http):
    await ctl.create_meeting("L1", lobby=True, keep_alive_secs=1)
    guest = guest_factory()
    await guest.register_device()
    locus = await guest.join("L1")
    keep_alive_url = locus["self"]["devices"][0]["keepAliveUrl"]
    assert locus["self"]["devices"][0]["keepAliveSecs"] == 1
    assert (await http.get(keep_alive_url)).status_code == 200
    silent_since = time.monotonic()
    view = await ctl.state("L1")
    assert participant(view, guest.pid)["keepAlives"] == 1

    await sim.wait_for(
        lambda s: participant(s.state_view("L1"), guest.pid)["phase"] == "left", timeout=5
    )
    assert time.monotonic() - silent_since >= 1.9  # keepAliveSecs * 2
    await guest.next_locus(lambda lo: lo["self"]["state"] == "LEFT")
    assert (await http.get(keep_alive_url)).status_code == 404
