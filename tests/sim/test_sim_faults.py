"""Network and endpoint faults: /sim/sockets (close, reset, half-open, latency), /sim/faults."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sim_helpers import DEFAULT, USER, closed, live_sockets, ping, recv_json
from websockets.exceptions import ConnectionClosedError
from websockets.protocol import State

from app.sim import SimControl, SimControlError, Simulator


async def online_guest(ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device()
    await guest.join("L1")
    ws = await guest.connect_channel(guest.locus["info"]["datachannelUrl"])
    return guest, ws


async def test_close_with_code_and_reason(sim, ctl, guest_factory):
    guest, ws = await online_guest(ctl, guest_factory)
    answer = await ctl.socket("L1", "default", "close", code=4000, reason="switchover")
    assert answer["sockets"] and answer["participantId"] == guest.pid
    exc = await closed(ws)
    assert (exc.rcvd.code, exc.rcvd.reason) == (4000, "switchover")
    view = await ctl.state("L1")
    assert live_sockets(view, guest.pid, "default") == []
    again = await ctl.socket("L1", "default", "close")
    assert again["sockets"] == [] and "nothing done" in again["message"]


async def test_close_device_socket_defaults_to_1000(sim, ctl, guest_factory):
    guest, _ = await online_guest(ctl, guest_factory)
    await ctl.socket("L1", "device", "close", participant_id=guest.pid)
    exc = await closed(guest.device_ws)
    assert (exc.rcvd.code, exc.rcvd.reason) == (1000, "")


async def test_reset_sends_no_close_frame(sim, ctl, guest_factory):
    guest, ws = await online_guest(ctl, guest_factory)
    await ctl.socket("L1", "default", "reset")
    exc = await closed(ws)
    assert isinstance(exc, ConnectionClosedError)
    assert exc.rcvd is None and exc.sent is None
    await sim.wait_for(lambda s: live_sockets(s.state_view("L1"), guest.pid, "default") == [])
    assert await ping(guest.device_ws) < 5  # other sockets live on


async def test_halfopen_swallows_pings_but_keeps_tcp(sim, ctl, guest_factory):
    guest, ws = await online_guest(ctl, guest_factory)
    assert await ping(ws) < 5
    await ctl.socket("L1", "default", "halfopen")
    view = await ctl.state("L1")
    assert live_sockets(view, guest.pid, "default")[0]["state"] == "halfopen"
    await ws.send('{"id": "lost", "type": "ping"}')
    with pytest.raises(TimeoutError):
        await recv_json(ws, timeout=0.5)  # no pong ...
    assert ws.state is State.OPEN  # ... and no close, no RST either
    assert sim.proxy.connections >= 2
    assert await ping(guest.device_ws) < 5  # only that connection is black-holed


async def test_latency_adds_its_ms_to_the_round_trip_once(sim, ctl, guest_factory):
    _, ws = await online_guest(ctl, guest_factory)
    assert await ping(ws) < 0.15
    answer = await ctl.socket("L1", "default", "latency", ms=150)
    assert answer["ms"] == 150
    rtts = [await ping(ws) for _ in range(3)]
    assert min(rtts) >= 0.150
    assert min(rtts) < 0.290  # one-way: 150 ms + floor, not 2 x 150 ms
    await ctl.socket("L1", "default", "latency", ms=0)
    await ping(ws)  # a chunk read before the change may still carry the old delay
    assert await ping(ws) < 0.15


async def test_error_fault_answers_html_500_for_count_calls(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    await ctl.fault("token", "error", count=2)
    for _ in range(2):
        answer = await guest.token()
        assert answer.status_code == 500
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.text == "<html><body><h1>500 Internal Server Error</h1></body></html>"
    assert (await guest.token()).status_code == 200

    await ctl.fault("register", "error", status=503)
    dc_url = guest.locus["info"]["datachannelUrl"]
    token = (await guest.token()).json()["datachannelToken"]
    for _ in range(3):  # no count: every call
        assert (await guest.register(dc_url, token)).status_code == 503
    assert (await ctl.clear_faults())["cleared"] == 1
    assert (await guest.register(dc_url, token)).status_code == 200


async def test_clearing_one_fault_leaves_the_others_as_they_stand(sim, ctl, guest_factory, http):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    await ctl.fault("token", "error", status=503, count=3)
    await ctl.fault("register", "slow", delay_ms=10)
    assert (await guest.token()).status_code == 503  # one of the three calls used
    assert (await ctl.clear_fault("register"))["cleared"] == 1
    (left,) = (await ctl.faults())["faults"]
    # not cleared and set again: its calls left and hits are the ones it had
    assert (left["endpoint"], left["remaining"], left["hits"]) == ("token", 2, 1)
    assert (await ctl.clear_fault("register"))["cleared"] == 0  # nothing left to clear
    bad = await http.delete("/sim/faults/sideways")
    assert bad.status_code == 400 and "endpoint" in bad.json()["message"]


async def test_loci_fault_covers_the_active_list_and_a_resync(sim, ctl, guest_factory, http):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    assert (await http.get("/locus/api/v1/loci")).status_code == 200
    await ctl.fault("loci", "error", status=503, count=2, retry_after=False)
    listed = await http.get("/locus/api/v1/loci")
    resync = await http.get("/locus/api/v1/loci/L1")
    assert (listed.status_code, resync.status_code) == (503, 503)
    assert "retry-after" not in listed.headers
    assert (await http.get("/locus/api/v1/loci/L1")).status_code == 200  # the count is used up


def test_the_host_console_offers_every_fault_endpoint_of_the_simulator():
    from app.sim.faults import ENDPOINTS as SIM
    from app.ui.panels.faults import ENDPOINTS as CONSOLE

    assert sorted(CONSOLE) == sorted(SIM)


async def test_slow_fault_issues_at_once_and_answers_late(sim, ctl, guest_factory):
    await ctl.create_meeting("L1", lobby=False)
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await guest.join("L1")
    await ctl.fault("token", "slow", delay_ms=400, count=1)
    started = time.monotonic()
    request = asyncio.ensure_future(guest.token())
    # The token exists before its answer arrives (a late token is a real token).
    await sim.wait_for(lambda s: s.state_view("L1")["tokensIssued"][DEFAULT] == 2)
    assert not request.done()
    answer = await request
    assert answer.status_code == 200
    assert time.monotonic() - started >= 0.4


async def test_hang_fault_never_answers(sim, ctl, guest_factory):
    await ctl.create_meeting("L1")
    guest = guest_factory()
    await guest.register_device(with_socket=False)
    await ctl.fault("join", "hang", count=1)
    with pytest.raises(httpx.ReadTimeout):
        await guest.http.post(
            "/locus/api/v1/loci/L1/participant",
            json={"deviceUrl": guest.device_url},
            timeout=0.3,
        )
    assert (await ctl.state("L1"))["participants"] == []
    await guest.join("L1")  # count was 1: the next call is honest


@pytest.mark.parametrize("mode", ["hang", "slow"])
async def test_stop_ends_a_pending_call_without_an_answer(mode):
    async with Simulator() as sim, SimControl(sim.base_url) as ctl:
        await ctl.fault("device", mode, delay_ms=30_000)
        async with httpx.AsyncClient(base_url=sim.base_url, trust_env=False) as http:
            headers = {"Authorization": f"Bearer {USER}"}
            call = asyncio.ensure_future(http.post("/wdm/api/v1/devices", headers=headers))
            await sim.wait_for(lambda s: s.engine.faults.view()[0]["hits"] == 1)
            started = time.monotonic()
            await sim.stop()
            with pytest.raises(httpx.RemoteProtocolError):  # no answer at all, not a 503
                await asyncio.wait_for(call, 5)
            assert time.monotonic() - started < 3


async def test_control_api_errors_are_json(sim, ctl, http):
    with pytest.raises(SimControlError) as unknown:
        await ctl.state("nope")
    assert unknown.value.status == 404 and "nope" in unknown.value.message
    with pytest.raises(SimControlError) as bad:
        await ctl.fault("join", "explode")
    assert bad.value.status == 400 and "mode" in bad.value.message
    await ctl.create_meeting("L1")
    for path, body in [
        ("/sim/meetings/L1/roles", {"participantId": "x", "roles": ["KING"]}),
        ("/sim/meetings/L1/rotate", {"channel": "sideways"}),
        ("/sim/meetings/L1/transcription", {"perSecond": "fast"}),
        ("/sim/meetings/L1/practice-session", {}),
        ("/sim/meetings", {"meetingId": "bad id!"}),
        ("/sim/sockets", {"meetingId": "L1", "channel": "default", "action": "latency"}),
        ("/sim/sockets", {"meetingId": "L1", "channel": "device", "action": "close", "code": 1006}),
    ]:
        answer = await http.post(path, json=body)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["message"]
    broken = await http.post("/sim/meetings", content=b"{")
    assert broken.status_code == 400 and "JSON" in broken.json()["message"]
    created = await ctl.create_meeting("L1")
    assert created["created"] is False  # safe to repeat
