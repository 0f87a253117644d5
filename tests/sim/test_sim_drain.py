"""Server drain (`shutdown` socket action, PROTOCOL.md section 4 step 8) and the 503 fault's
`Retry-After` (section 3), as the host console drives them."""

from __future__ import annotations

import json

import httpx
import pytest
from sim_helpers import closed, live_sockets, open_ws, ping, recv_until
from test_sim_captions import annc_frame
from test_sim_sockets import is_relay, subscribe_frame

from app.sim import SimControlError


async def online(ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device()
    await guest.join("L1")
    dc_url = guest.locus["info"]["datachannelUrl"]
    token = (await guest.token()).json()["datachannelToken"]
    ws_url = (await guest.register(dc_url, token)).json()["webSocketUrl"]
    ws, _ = await open_ws(ws_url)
    guest.sockets.append(ws)
    return guest, ws, ws_url


async def test_shutdown_then_4001_once_the_replacement_is_online(sim, ctl, guest_factory):
    guest, old, ws_url = await online(ctl, guest_factory)
    answer = await ctl.socket("L1", "default", "shutdown")
    assert answer["sockets"] and answer["ms"] == 10_000
    drain = await recv_until(old, lambda f: f.get("type") == "shutdown")
    assert drain["id"]  # like every server frame
    view = await ctl.state("L1")
    assert live_sockets(view, guest.pid, "default")[0]["draining"] is True
    assert await ping(old) < 5  # still served while draining

    new, first = await open_ws(ws_url)  # the same webSocketUrl, full authorization
    guest.sockets.append(new)
    assert first["data"]["eventType"] == "mercury.buffer_state"
    exc = await closed(old)
    assert exc.rcvd.code == 4001  # not 4000: the planned end of a switchover
    assert await ping(new) < 5
    view = await sim.wait_for(
        lambda s: len(live_sockets(v := s.state_view("L1"), guest.pid, "default")) == 1 and v
    )
    assert live_sockets(view, guest.pid, "default")[0]["draining"] is False


async def test_shutdown_closes_4001_after_ms_without_a_replacement(sim, ctl, guest_factory):
    _, old, _ = await online(ctl, guest_factory)
    await ctl.socket("L1", "default", "shutdown", ms=50)
    await recv_until(old, lambda f: f.get("type") == "shutdown")
    exc = await closed(old)
    assert exc.rcvd.code == 4001 and "not replaced" in exc.rcvd.reason
    again = await ctl.socket("L1", "default", "shutdown")
    assert again["sockets"] == [] and "nothing done" in again["message"]


async def test_device_socket_shutdown_switchover(sim, ctl, guest_factory):
    guest, _, _ = await online(ctl, guest_factory)
    await ctl.socket("L1", "device", "shutdown", participant_id=guest.pid)
    assert guest.device_ws is not None
    await recv_until(guest.device_ws, lambda f: f.get("type") == "shutdown")
    new, first = await open_ws(guest.device_ws_url)
    guest.sockets.append(new)
    assert first["data"]["eventType"] == "mercury.buffer_state"
    assert (await closed(guest.device_ws)).rcvd.code == 4001


async def test_503_fault_sends_retry_after(sim, ctl, guest_factory, http):
    guest, _, _ = await online(ctl, guest_factory)
    await ctl.fault("token", "error", status=503, retry_after=3, count=1)
    listed = (await ctl.faults())["faults"]
    assert listed == [
        {
            "endpoint": "token",
            "mode": "error",
            "delayMs": None,
            "status": 503,
            "remaining": 1,
            "count": 1,
            "body": None,
            "hits": 0,
            "retryAfter": 3,
        }
    ]
    answer = await guest.token()
    assert answer.status_code == 503 and answer.headers["retry-after"] == "3"
    assert (await guest.token()).status_code == 200  # count 1: used up
    assert (await ctl.faults())["faults"] == []

    await ctl.fault("token", "error", status=503, count=1)  # a 503 says when, by default
    assert (await guest.token()).headers["retry-after"] == "1"
    await ctl.fault("token", "error", status=503, retry_after=False, count=1)
    assert "retry-after" not in (await guest.token()).headers  # told not to
    await ctl.fault("token", "error", status=500, count=1)
    assert "retry-after" not in (await guest.token()).headers
    await ctl.fault("token", "error", status=429, retry_after=7, count=1)
    assert (await guest.token()).headers["retry-after"] == "7"
    with pytest.raises(SimControlError) as bad:
        await ctl.fault("token", "error", status=503, retry_after=-1)
    assert bad.value.status == 400 and "retryAfter" in bad.value.message


async def test_faults_view_lists_socket_latency_and_halfopen(sim, ctl, guest_factory):
    guest, _, _ = await online(ctl, guest_factory)
    await ctl.socket("L1", "default", "latency", ms=30)
    view = await ctl.faults()
    assert [(s["channel"], s["latencyMs"], s["participantId"]) for s in view["sockets"]] == [
        ("default", 30, guest.pid)
    ]
    await ctl.socket("L1", "default", "halfopen")
    assert (await ctl.faults())["sockets"][0]["state"] == "halfopen"
    async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as anonymous:
        assert (await anonymous.get("/sim/faults")).json()["transcription"] == []


async def test_every_server_frame_has_an_id_and_the_next_sequence_number(sim, ctl, guest_factory):
    """buffer_state, pong, subscription answer, announce, captions, shutdown: each with an
    `id` (the SDK acks it, and rejects a frame without one) and numbered without a gap (the
    SDK's socket-base.js checks every frame's sequenceNumber)."""
    guest, ws, _ = await online(ctl, guest_factory)
    dc_url = guest.locus["info"]["datachannelUrl"]
    frames = []
    await ws.send(json.dumps({"id": "p1", "type": "ping"}))
    frames.append(await recv_until(ws, lambda f: f.get("type") == "pong"))
    await ws.send(subscribe_frame(dc_url))
    frames.append(await recv_until(ws, lambda f: f.get("type") == "subchannelSubscriptionResponse"))
    await ws.send(annc_frame("b"))
    frames.append(
        await recv_until(ws, lambda f: f.get("data", {}).get("relayType") == "voicea.annc")
    )
    await guest.controls(caption=True)
    await ctl.transcription("L1", 20)
    frames += [await recv_until(ws, is_relay) for _ in range(2)]
    await ctl.socket("L1", "default", "shutdown")
    frames.append(await recv_until(ws, lambda f: f.get("type") == "shutdown"))
    assert all(isinstance(f.get("id"), str) and f["id"] for f in frames)
    numbers = [f["sequenceNumber"] for f in frames]
    assert numbers == list(range(2, 2 + len(frames)))  # 1 was the buffer_state


async def test_multiple_connections_do_not_replace_each_other(sim, ctl, guest_factory):
    """`multipleConnections=true` (mercury.js, ephemeral devices): no 4000 for the older."""
    guest, _, _ = await online(ctl, guest_factory)
    second, first = await open_ws(guest.device_ws_url, query_extra="multipleConnections=true")
    guest.sockets.append(second)
    assert first["data"]["eventType"] == "mercury.buffer_state"
    assert guest.device_ws is not None
    assert await ping(guest.device_ws) < 5  # the first one lives on
    view = await ctl.state("L1")
    assert len(live_sockets(view, guest.pid, "device")) == 2
    third, _ = await open_ws(guest.device_ws_url)  # without it: replaces both
    guest.sockets.append(third)
    assert (await closed(second)).rcvd.code == 4000
    assert (await closed(guest.device_ws)).rcvd.code == 4000
