"""A hand-rolled protocol client for the simulator tests: plain httpx and websockets.

Deliberately not app.core: these tests check the server against PROTOCOL.md on its own.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

USER = "user-token-1"
QUERY = (
    "?outboundWireFormat=text&bufferStates=true&aliasHttpStatus=true"
    "&clientTimestamp={ts}&subscriptionAwareSubchannels=transcription"
)
DEFAULT = "llm-default-session"
PRACTICE = "llm-practice-session"


def auth_frame(token: str = USER) -> str:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": "authorization",
            "data": {"token": f"Bearer {token}"},
            "trackingId": f"dcmon_{uuid.uuid4()}",
        }
    )


async def open_ws(
    url: str, token: str = USER, query_extra: str = ""
) -> tuple[ClientConnection, dict[str, Any]]:
    """Connect, authorize, and return the socket with the server's first frame."""
    query = QUERY.format(ts=int(time.time() * 1000)) + (f"&{query_extra}" if query_extra else "")
    ws = await connect(url + query, open_timeout=5, close_timeout=1)
    await ws.send(auth_frame(token))
    first = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return ws, first


async def refused_close(url: str, token: str | None) -> tuple[int, str]:
    """Connect and authorize with a bad token; the (code, reason) the server closes with."""
    ws = await connect(url, open_timeout=5, close_timeout=1)
    try:
        if token is not None:
            await ws.send(auth_frame(token))
        else:
            await ws.send(json.dumps({"id": "1", "type": "hello"}))
        try:
            frame = await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as exc:
            assert exc.rcvd is not None, "closed without a close frame"
            return exc.rcvd.code, exc.rcvd.reason
        raise AssertionError(f"server answered instead of closing: {frame!r}")
    finally:
        await ws.close()


async def closed(ws: ClientConnection, timeout: float = 5.0) -> ConnectionClosed:
    """Skip frames until the socket closes; the ConnectionClosed it ended with."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            await asyncio.wait_for(ws.recv(), max(0.01, deadline - loop.time()))
    except ConnectionClosed as exc:
        return exc


async def recv_json(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until(
    ws: ClientConnection, predicate: Callable[[dict[str, Any]], Any], timeout: float = 5.0
) -> dict[str, Any]:
    """The first frame matching predicate; frames before it are skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await recv_json(ws, max(0.01, deadline - loop.time()))
        if predicate(frame):
            return frame


async def ping(ws: ClientConnection, timeout: float = 5.0) -> float:
    """Round trip of one protocol ping, in seconds."""
    ping_id = str(uuid.uuid4())
    started = time.perf_counter()
    await ws.send(json.dumps({"id": ping_id, "type": "ping"}))
    await recv_until(ws, lambda f: f.get("type") == "pong" and f.get("id") == ping_id, timeout)
    return time.perf_counter() - started


def locus_push(frame: dict[str, Any]) -> dict[str, Any] | None:
    data = frame.get("data") or {}
    return data.get("locus") if data.get("eventType") == "locus.difference" else None


@dataclass
class Guest:
    """One simulated client: device, device socket, participant."""

    http: httpx.AsyncClient
    device_url: str = ""
    device_ws_url: str = ""
    device_ws: ClientConnection | None = None
    locus: dict[str, Any] = field(default_factory=dict)
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    sockets: list[ClientConnection] = field(default_factory=list)

    @property
    def pid(self) -> str:
        return self.locus["self"]["id"]

    @property
    def locus_url(self) -> str:
        return self.locus["url"]

    async def register_device(self, with_socket: bool = True) -> None:
        answer = await self.http.post(
            "/wdm/api/v1/devices?includeUpstreamServices=all",
            json={"name": "dcmon-test", "deviceType": "WEB", "ttl": 1800},
        )
        answer.raise_for_status()
        self.device_url = answer.json()["url"]
        self.device_ws_url = answer.json()["webSocketUrl"]
        if with_socket:
            self.device_ws, first = await open_ws(self.device_ws_url)
            self.sockets.append(self.device_ws)
            assert first["data"]["eventType"] == "mercury.buffer_state"

    def join_body(self, name: str = "Ann", role: str | None = None) -> dict[str, Any]:
        """The SDK's join body (`meeting/request.ts` joinMeeting) plus our displayName/role."""
        body: dict[str, Any] = {
            "device": {"url": self.device_url, "deviceType": "WEB"},
            "usingResource": None,
            "correlationId": self.correlation_id,
            "respOnlySdp": True,
            "allowMultiDevice": True,
            "supportsNativeLobby": 1,
            "clientMediaPreferences": {"ipver": 0, "preferTranscoding": True},
            "displayName": name,
        }
        if role:
            body["role"] = role
        return body

    async def join(self, meeting_id: str, name: str = "Ann", role: str | None = None) -> dict:
        path = f"/locus/api/v1/loci/{meeting_id}/participant?alternateRedirect=true"
        answer = await self.http.post(path, json=self.join_body(name, role))
        assert answer.status_code == 200, answer.text
        assert answer.json()["mediaConnections"] == []  # the SDK's parseLocusJoin needs it
        self.locus = answer.json()["locus"]
        return self.locus

    async def next_locus(self, predicate: Callable[[dict], Any] = bool) -> dict[str, Any]:
        assert self.device_ws is not None
        frame = await recv_until(
            self.device_ws, lambda f: (lo := locus_push(f)) is not None and predicate(lo)
        )
        return frame["data"]["locus"]

    async def token(self, token_type: str = DEFAULT) -> httpx.Response:
        practice = "/practiceSession" if token_type == PRACTICE else ""
        url = f"{self.locus_url}/participant/{self.pid}{practice}/datachannel/token"
        return await self.http.get(url)

    async def controls(self, caption: bool) -> httpx.Response:
        """`PUT {locusUrl}/controls/` as the SDK's voicea sends it to turn captions on/off."""
        body = {"transcribe": {"caption": caption}, "languageCode": "en"}
        return await self.http.put(f"{self.locus_url}/controls/", json=body)

    def speaker_csi(self) -> int:
        """The csi of the roster member that speaks (status.csis of the simulated host)."""
        csis = [c for member in self.locus["participants"] for c in member["status"]["csis"]]
        assert len(csis) == 1, csis
        return csis[0]

    async def register(self, dc_url: str, token: str | None) -> httpx.Response:
        headers = {"Data-Channel-Auth-Token": token} if token is not None else {}
        return await self.http.post(dc_url, json={"deviceUrl": self.device_url}, headers=headers)

    async def connect_channel(self, dc_url: str, token_type: str = DEFAULT) -> ClientConnection:
        """token -> register -> connect -> buffer_state; the whole default path."""
        token = await self.token(token_type)
        assert token.status_code == 200, token.text
        answer = await self.register(dc_url, token.json()["datachannelToken"])
        assert answer.status_code == 200, answer.text
        ws, first = await open_ws(answer.json()["webSocketUrl"])
        assert first["data"]["eventType"] == "mercury.buffer_state"
        self.sockets.append(ws)
        return ws

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()


def participant(view: dict[str, Any], pid: str) -> dict[str, Any]:
    return next(p for p in view["participants"] if p["participantId"] == pid)


def live_sockets(view: dict[str, Any], pid: str, channel: str) -> list[dict[str, Any]]:
    return participant(view, pid)["channels"][channel]["sockets"]
