"""What the chaos invariants read from the simulator: concurrent registrations, attempts
after leave, a restart on kept state, a kill, the issued-token record. Each is shown
catching what it exists for, with a hand-rolled client (plain httpx), not the core."""

from __future__ import annotations

import asyncio

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.sim import SimControl, Simulator

USER = {"Authorization": "Bearer accounting-user-token"}


async def joined(http: httpx.AsyncClient, meeting: str) -> tuple[str, dict, str]:
    device = (await http.post("/wdm/api/v1/devices", json={"name": "t"})).json()
    answer = await http.post(
        f"/locus/api/v1/loci/{meeting}/participant", json={"deviceUrl": device["url"]}
    )
    locus = answer.json()["locus"]
    return device["url"], locus, locus["self"]["datachannelToken"]


def channel(sim: Simulator, meeting: str, name: str = "default") -> dict:
    return sim.state_view(meeting)["participants"][0]["channels"][name]


async def test_two_answered_registrations_at_once_are_counted(sim, host) -> None:
    await host.create_meeting("acc1", lobby=False, webinar=False)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=USER, trust_env=False) as http:
        device_url, locus, token = await joined(http, "acc1")
        url = locus["info"]["datachannelUrl"]
        await host.fault("register", "slow", delay_ms=300, count=2)
        headers = {"Data-Channel-Auth-Token": token}
        body = {"deviceUrl": device_url}
        one, two = await asyncio.gather(
            http.post(url, json=body, headers=headers), http.post(url, json=body, headers=headers)
        )
        assert one.status_code == two.status_code == 200
        assert channel(sim, "acc1")["maxConcurrentRegistrations"] == 2
        assert channel(sim, "acc1")["registrationAttempts"] == 2


async def test_an_abandoned_registration_does_not_count_as_concurrent(sim, host) -> None:
    await host.create_meeting("acc2", lobby=False, webinar=False)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=USER, trust_env=False) as http:
        device_url, locus, token = await joined(http, "acc2")
        url = locus["info"]["datachannelUrl"]
        await host.fault("register", "hang", count=1)
        headers = {"Data-Channel-Auth-Token": token}
        body = {"deviceUrl": device_url}
        try:
            await http.post(url, json=body, headers=headers, timeout=0.3)
        except httpx.TimeoutException:
            pass  # the client gave up; the server answers nobody
        again = await http.post(url, json=body, headers=headers)
        assert again.status_code == 200
        await sim.wait_for(lambda s: channel(s, "acc2")["registrationsInFlight"] == 0)
        assert channel(sim, "acc2")["maxConcurrentRegistrations"] == 1


async def test_attempts_after_leave_are_visible(sim, host) -> None:
    await host.create_meeting("acc3", lobby=False, webinar=False)
    async with httpx.AsyncClient(base_url=sim.base_url, headers=USER, trust_env=False) as http:
        device_url, locus, token = await joined(http, "acc3")
        pid = locus["self"]["id"]
        url = locus["info"]["datachannelUrl"]
        await http.put(f"{locus['url']}/participant/{pid}/leave", json={"deviceUrl": device_url})
        me = sim.state_view("acc3")["participants"][0]
        assert me["attemptsAtLeave"]["registration"]["default"] == 0
        late = await http.post(
            url, json={"deviceUrl": device_url}, headers={"Data-Channel-Auth-Token": token}
        )
        assert late.status_code == 403  # not admitted any more
        assert channel(sim, "acc3")["registrationAttempts"] == 1  # and counted: a violation


async def test_restart_on_kept_state_keeps_meetings_tokens_and_socket_urls() -> None:
    sim = Simulator()
    await sim.start()
    async with httpx.AsyncClient(base_url=sim.base_url, headers=USER, trust_env=False) as http:
        async with SimControl(sim.base_url) as host:
            await host.create_meeting("acc4", lobby=False, webinar=False)
        device_url, locus, token = await joined(http, "acc4")
        reg = await http.post(
            locus["info"]["datachannelUrl"],
            json={"deviceUrl": device_url},
            headers={"Data-Channel-Auth-Token": token},
        )
        ws_url = reg.json()["webSocketUrl"]
    ws = await connect(ws_url)
    await ws.send('{"type": "authorization", "data": {"token": "Bearer accounting-user"}}')
    await ws.recv()  # buffer_state: online
    issued = sim.issued_tokens()
    back = await sim.restarted(kill=True)
    try:
        try:
            await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as exc:
            assert exc.rcvd is None  # killed: no close frame, as a crash would
        assert back.base_url == sim.base_url
        assert back.state_view("acc4")["participants"][0]["phase"] == "joined"
        assert back.issued_tokens() == issued
        again = await connect(ws_url)  # the same webSocketUrl is still valid
        await again.send('{"type": "authorization", "data": {"token": "Bearer accounting-u"}}')
        assert "mercury.buffer_state" in await asyncio.wait_for(again.recv(), 5)
        await again.close()
    finally:
        await back.stop()
