"""Socket handling against scripted servers. PROTOCOL.md s. 4, the handshake table with
real actions (mercury.js `_attemptConnection`'s catch): 1005 before online refreshes the
device registration (`PUT {deviceUrl}`), 4401 refreshes the user's credentials; both then
retry. The client registers its device with the real simulator; a device answer (fault mode
`body`) points its device socket at a small websockets server on loopback."""

from __future__ import annotations

import asyncio
import json

import httpx
from websockets.asyncio.server import serve

from app.core.events import ChannelState, EventKind
from app.core.meeting import MeetingClient
from app.core.settings import TEST
from app.core.watch import Watch
from tests.conftest import USER_TOKEN

from .helpers import T, kind


async def _device_pointing_at(sim, host, ws_url: str) -> dict:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{sim.base_url}/wdm/api/v1/devices",
            json={"name": "x", "deviceType": "WEB"},
            headers={"Authorization": f"Bearer {USER_TOKEN}"},
        )
    device = answer.json()
    await host.fault("device", "body", body_text=json.dumps({**device, "webSocketUrl": ws_url}),
                     count=1)  # fmt: skip
    return device


async def test_handshake_1005_refreshes_the_device_registration(sim, host) -> None:
    async def refuse(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.recv()  # authorization
        # a close frame without a status code (1005 on the client), below websockets' API
        async with ws.send_context():
            ws.protocol.send_close()

    async with serve(refuse, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        device = await _device_pointing_at(sim, host, f"ws://127.0.0.1:{port}/mercury")
        client = MeetingClient(sim.base_url, USER_TOKEN, TEST)
        watch = Watch(client.hub, client.snapshot)
        try:
            await client.start()
            closed = await watch.event(kind(EventKind.CLOSED, "device"), T, "handshake refused")
            assert closed.data["code"] == 1005 and "refresh device" in closed.data["action"]
            await watch.event(
                lambda e: e.channel == "device" and "refreshing the device" in e.summary,
                T,
                "device refresh",
            )
            await watch.until(
                lambda s: s.channel("device").state is ChannelState.ONLINE, T, "device online"
            )
            puts = [e for e in watch.events if kind(EventKind.HTTP, "http", what="device")(e)]
            assert [e.data["status"] for e in puts] == [200, 200]  # POST, then PUT {deviceUrl}
            assert client.device_url == device["url"]
            assert client.snapshot.channel("device").web_socket_url != f"ws://127.0.0.1:{port}"
        finally:
            watch.close()
            await client.close()


async def test_handshake_4401_refreshes_the_user_credentials(sim, host) -> None:
    tokens: list[str] = []

    async def first_refuses(ws) -> None:  # type: ignore[no-untyped-def]
        auth = json.loads(await ws.recv())
        tokens.append(auth["data"]["token"])
        if len(tokens) == 1:
            await ws.close(4401, "unauthorized")
            return
        await ws.send(json.dumps({"id": "b1", "data": {"eventType": "mercury.buffer_state"}}))
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong", "id": frame["id"]}))

    refreshed: list[int] = []

    async def credentials() -> str:
        refreshed.append(1)
        return USER_TOKEN + "-refreshed"

    async with serve(first_refuses, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        await _device_pointing_at(sim, host, f"ws://127.0.0.1:{port}/mercury")
        client = MeetingClient(sim.base_url, USER_TOKEN, TEST, credentials_refresh=credentials)
        watch = Watch(client.hub, client.snapshot)
        try:
            await client.start()
            await watch.until(
                lambda s: s.channel("device").state is ChannelState.ONLINE, T, "device online"
            )
            closed = next(e for e in watch.events if kind(EventKind.CLOSED, "device")(e))
            assert closed.data["code"] == 4401 and "refresh user auth" in closed.data["action"]
            assert refreshed == [1]
            assert tokens == [f"Bearer {USER_TOKEN}", f"Bearer {USER_TOKEN}-refreshed"]
        finally:
            watch.close()
            await client.close()


async def test_failed_switchover_falls_back_to_backoff_on_the_old_sockets_4001(sim, host) -> None:
    """PROTOCOL.md s. 4 step 8: the replacement cannot be opened -> once the old socket
    closes (4001), reconnect with backoff (3.12.0 stays offline: SDK_DIFFERENCES.md row 15).
    A scripted device-socket server: 1st connection online then `shutdown`; the 2nd (the
    replacement) refused before online; then the 1st closed with 4001; the 3rd is served."""
    count = 0
    replacement_done = asyncio.Event()

    async def scripted(ws) -> None:  # type: ignore[no-untyped-def]
        nonlocal count
        count += 1
        n = count
        await ws.recv()  # authorization
        if n == 2:
            await ws.close(1011, "not now")
            replacement_done.set()
            return
        await ws.send(json.dumps({"id": f"b{n}", "data": {"eventType": "mercury.buffer_state"}}))
        async for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") != "ping":
                continue
            await ws.send(json.dumps({"type": "pong", "id": frame["id"]}))
            if n == 1:
                await ws.send(json.dumps({"id": "s1", "type": "shutdown"}))
                await replacement_done.wait()
                await ws.close(4001, "shutdown: not replaced")
                return

    async with serve(scripted, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        await _device_pointing_at(sim, host, f"ws://127.0.0.1:{port}/mercury")
        client = MeetingClient(sim.base_url, USER_TOKEN, TEST)
        watch = Watch(client.hub, client.snapshot)
        try:
            await client.start()
            failed = await watch.event(
                lambda e: kind(EventKind.SWITCHOVER, "device")(e) and e.data.get("failed"),
                T,
                "the replacement failed",
            )
            assert "backoff" in failed.summary
            closed = await watch.event(
                lambda e: kind(EventKind.CLOSED, "device")(e) and e.data["code"] == 4001,
                T,
                "the old socket's 4001",
            )
            assert closed.data["action"] == "reconnect (after a failed switchover)"
            await watch.until(
                lambda s: (
                    s.channel("device").state is ChannelState.ONLINE
                    and s.channel("device").reconnects == 1
                ),
                T,
                "reconnected",
            )
            assert count == 3 and client.snapshot.channel("device").switchovers == 0
        finally:
            watch.close()
            await client.close()
