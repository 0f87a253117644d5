"""The floor: the least code that does what dcmon does on the wire, with bare httpx + websockets.

It follows PROTOCOL.md section 4 step by step and nothing more: no reconciler, no snapshots,
no events, no retries beyond "reconnect at once". It does not import app.core: every frame is
written out here, so a cost the core adds cannot hide in a shared helper.

    device POST -> device socket (authorization, buffer_state) -> join -> [admit via SimControl]
    -> locus push says JOINED + datachannelUrl -> token GET -> registration POST with
    Data-Channel-Auth-Token -> connect with the SDK query -> authorization frame -> wait for
    mercury.buffer_state -> the first ping (step 6: "the first ping goes out at online";
    its pong is read and acked like any frame) -> captions on (PUT controls) -> voicea
    announcement (client.annc) -> subscription request -> wait for the response.

Until session 4 the floor skipped step 6's first ping, so it did one round trip less on
the wire than the protocol (and dcmon, and the SDK: socket-base.js `_authorize` ->
`_ping()`) does at every online. `FloorClient(first_ping=False)` is that old floor, kept
so the admit and reconnect benchmarks can print their ratio against it too (information).

The wire is PROTOCOL.md v2 (the SDK's join and leave bodies, GET token routes, captions via
PUT controls and an announcement on the publish socket, as dcmon's core does).

The device socket is how dcmon learns it was admitted (the simulator pushes the locus there,
as locus does for the SDK); the floor listens the same way, so neither side pays an extra
GET that the other does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.common import median
from bench.report import Row

DEFAULT_TOKEN = "llm-default-session"
ONLINE_EVENTS = ("mercury.buffer_state", "mercury.registration_status")


def _ws_url(web_socket_url: str, device: bool = False) -> str:
    parts = urlsplit(web_socket_url)
    query = [
        ("outboundWireFormat", "text"),
        ("bufferStates", "true"),
        ("aliasHttpStatus", "true"),
        ("clientTimestamp", str(int(time.time() * 1000))),
        ("subscriptionAwareSubchannels", "transcription"),
    ]
    if device:
        query.append(("multipleConnections", "true"))  # the device socket's extra (step 2)
    return urlunsplit(parts._replace(query=urlencode(query)))


async def _open(url: str, device: bool = False) -> ClientConnection:
    # the same transport options dcmon uses, so both pay the same library cost
    return await connect(
        _ws_url(url, device),
        open_timeout=10,
        ping_interval=None,
        close_timeout=2,
        max_size=16 << 20,
        compression=None,
        proxy=None,
    )


@dataclass
class FloorSocket:
    """One socket after step 4 (online)."""

    ws: ClientConnection
    frames_in: int = 0
    first_ping: str | None = None  # the id of step 6's ping at online, until its pong is read


@dataclass
class Stamps:
    """perf_counter_ns of each step, for the breakdown in the JSON."""

    marks: dict[str, int] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, time.perf_counter_ns())


class FloorClient:
    def __init__(self, server: str, user_token: str, first_ping: bool = True) -> None:
        self.server = server.rstrip("/")
        self.user_token = user_token
        self.ping_at_online = first_ping  # False: the floor before session 4 (no step 6)
        self.http = httpx.AsyncClient(timeout=10.0, trust_env=False)
        self.auth = {"Authorization": f"Bearer {user_token}"}
        self.device_url = ""
        self.device_ws_url = ""
        self.device: FloorSocket | None = None
        self._device_reader: asyncio.Task[None] | None = None
        self._locus_waiters: list[tuple[Any, asyncio.Future[dict[str, Any]]]] = []
        self.locus: dict[str, Any] = {}
        self.bindings: dict[str, str] = {}  # datachannel URL -> the registration's binding
        self._voicea_seq = 0

    # -- HTTP --------------------------------------------------------------------------------
    async def _post(self, url: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        r = await self.http.post(url, json=body, headers={**self.auth, **headers})
        r.raise_for_status()
        return r.json()

    async def register_device(self) -> None:
        url = self.server + "/wdm/api/v1/devices?includeUpstreamServices=all"
        answer = await self._post(url, {"name": "floor", "deviceType": "WEB"})
        self.device_url, self.device_ws_url = answer["url"], answer["webSocketUrl"]

    def _device(self) -> dict[str, str]:
        return {"url": self.device_url, "deviceType": "WEB"}

    async def join(self, meeting_id: str) -> dict[str, Any]:
        url = f"{self.server}/locus/api/v1/loci/{meeting_id}/participant?alternateRedirect=true"
        body = {
            "device": self._device(),
            "correlationId": str(uuid.uuid4()),
            "respOnlySdp": True,
            "allowMultiDevice": True,
            "supportsNativeLobby": 1,
            "displayName": "floor",
        }
        answer = await self._post(url, body)
        self.locus = answer["locus"]
        return self.locus

    async def fetch_token(self, token_type: str = DEFAULT_TOKEN) -> str:
        practice = "/practiceSession" if token_type == "llm-practice-session" else ""
        url = (
            f"{self.locus['url']}/participant/{self.locus['self']['id']}"
            f"{practice}/datachannel/token"
        )
        r = await self.http.get(url, headers=self.auth)
        r.raise_for_status()
        return r.json()["datachannelToken"]

    async def register(self, datachannel_url: str, token: str) -> str:
        answer = await self._post(
            datachannel_url, {"deviceUrl": self.device_url}, **{"Data-Channel-Auth-Token": token}
        )
        if answer.get("binding"):
            self.bindings[datachannel_url] = answer["binding"]
        return answer["webSocketUrl"]

    async def captions_on(self) -> None:
        """voicea.ts `requestTurnOnCaptions`: PUT controls (then announce + subscribe)."""
        r = await self.http.put(
            f"{self.locus['url']}/controls/",
            json={"transcribe": {"caption": True}},
            headers=self.auth,
        )
        r.raise_for_status()

    async def leave(self) -> None:
        with contextlib.suppress(httpx.HTTPError, KeyError):
            url = f"{self.locus['url']}/participant/{self.locus['self']['id']}/leave"
            body = {
                "device": self._device(),
                "usingResource": None,
                "correlationId": str(uuid.uuid4()),
            }
            await self.http.put(url, json=body, headers=self.auth)

    # -- sockets -----------------------------------------------------------------------------
    async def connect(self, web_socket_url: str, device: bool = False) -> FloorSocket:
        """Steps 2-4: connect with the query, authorization frame, wait for buffer_state."""
        ws = await _open(web_socket_url, device)
        auth = {
            "id": str(uuid.uuid4()),
            "type": "authorization",
            "data": {"token": f"Bearer {self.user_token}"},
            "trackingId": f"floor_{uuid.uuid4()}",
        }
        await ws.send(json.dumps(auth))
        sock = FloorSocket(ws)
        while True:
            frame = await self.recv(sock)
            data = frame.get("data")
            if (
                "type" not in frame
                and isinstance(data, dict)
                and data.get("eventType") in ONLINE_EVENTS
            ):
                break
        if self.ping_at_online:  # step 6: the first ping goes out at online
            sock.first_ping = str(uuid.uuid4())
            await ws.send(json.dumps({"id": sock.first_ping, "type": "ping"}))
        return sock

    async def recv(self, sock: FloorSocket) -> dict[str, Any]:
        """One frame, acked if it has an id (step 5)."""
        frame = json.loads(await sock.ws.recv())
        sock.frames_in += 1
        if "id" in frame:  # every frame with an id, pongs included (as dcmon does)
            await sock.ws.send(json.dumps({"messageId": frame["id"], "type": "ack"}))
            if frame.get("type") == "pong" and frame["id"] == sock.first_ping:
                sock.first_ping = None
        return frame

    def _next_seq(self) -> str:
        self._voicea_seq += 1  # voicea's own counter, shared by announcements and requests
        return str(self._voicea_seq)

    async def subscribe(self, sock: FloorSocket, datachannel_url: str) -> None:
        """The announcement (client.annc, not awaited, as dcmon), the subscription request,
        then wait for its response (PROTOCOL.md section 5)."""
        binding = self.bindings.get(datachannel_url)
        if binding:
            announce = {
                "id": self._next_seq(),
                "type": "publishRequest",
                "recipients": {"route": binding},
                "headers": {},
                "data": {
                    "clientPayload": {"version": "v2"},
                    "eventType": "relay.event",
                    "relayType": "client.annc",
                },
                "trackingId": f"floor_{uuid.uuid4()}",
            }
            await sock.ws.send(json.dumps(announce))
        request = {
            "id": self._next_seq(),
            "type": "subchannelSubscriptionRequest",
            "data": {
                "datachannelUri": datachannel_url,
                "subscribe": ["transcription"],
                "unsubscribe": [],
            },
            "trackingId": f"floor_{uuid.uuid4()}",
        }
        await sock.ws.send(json.dumps(request))
        while True:
            frame = await self.recv(sock)
            if frame.get("type") == "subchannelSubscriptionResponse":
                return

    async def ping(self, sock: FloorSocket) -> int:
        """Step 6: one JSON ping, the matching pong; round trip in ns (stamped as dcmon does:
        just before the send and just after the receive, before parsing)."""
        ping_id = str(uuid.uuid4())
        sent = time.perf_counter_ns()
        await sock.ws.send(json.dumps({"id": ping_id, "type": "ping"}))
        while True:
            raw = await sock.ws.recv()
            got = time.perf_counter_ns()
            frame = json.loads(raw)
            if "id" in frame:
                await sock.ws.send(json.dumps({"messageId": frame["id"], "type": "ack"}))
            if frame.get("type") == "pong":
                if sock.first_ping is not None and frame.get("id") == sock.first_ping:
                    sock.first_ping = None  # step 6's ping at online, answered late
                    continue
                if frame.get("id") != ping_id:
                    raise RuntimeError("pong mismatch")
                return got - sent

    # -- the device socket: where the locus pushes arrive ------------------------------------
    async def open_device_socket(self) -> None:
        self.device = await self.connect(self.device_ws_url, device=True)
        self._device_reader = asyncio.get_running_loop().create_task(self._read_device())

    async def _read_device(self) -> None:
        assert self.device is not None
        with contextlib.suppress(ConnectionClosed, asyncio.CancelledError):
            while True:
                frame = await self.recv(self.device)
                data = frame.get("data")
                if isinstance(data, dict) and data.get("eventType") == "locus.difference":
                    self.locus = data["locus"]
                    for pred, fut in list(self._locus_waiters):
                        if not fut.done() and pred(self.locus):
                            fut.set_result(self.locus)

    async def wait_locus(self, pred: Any, timeout: float = 10.0) -> dict[str, Any]:
        if self.locus and pred(self.locus):
            return self.locus
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        item = (pred, fut)
        self._locus_waiters.append(item)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._locus_waiters.remove(item)

    async def close(self) -> None:
        if self._device_reader is not None:
            self._device_reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._device_reader
        if self.device is not None:
            with contextlib.suppress(Exception):
                await self.device.ws.close(3050, "done (permanent)")
        await self.http.aclose()


def old_floor_row(bench: str, dcmon: list[float], old_floor: list[float]) -> Row:
    """The info row beside a target row: dcmon against the floor without the first ping."""
    return Row(
        bench,
        "  against the floor without the first ping (info)",
        median(dcmon),
        median(old_floor),
        note="the floor until session 4: it skipped PROTOCOL.md s. 4 step 6 at online",
    )


def admitted(locus: dict[str, Any]) -> bool:
    self_ = locus.get("self") or {}
    return self_.get("state") == "JOINED" and bool((locus.get("info") or {}).get("datachannelUrl"))


async def admit_to_subscribed(client: FloorClient, stamps: Stamps) -> FloorSocket:
    """After the admit call: everything up to the confirmed subscription."""
    locus = await client.wait_locus(admitted)
    stamps.mark("admitted")
    dc_url = locus["info"]["datachannelUrl"]
    token = await client.fetch_token()
    stamps.mark("token")
    ws_url = await client.register(dc_url, token)
    stamps.mark("registered")
    sock = await client.connect(ws_url)
    stamps.mark("online")
    await client.captions_on()
    stamps.mark("captions")
    await client.subscribe(sock, dc_url)
    stamps.mark("subscribed")
    return sock


class FloorChannel:
    """A default data channel that reconnects at once when dropped and subscribes again.

    `resubscribed` is called with perf_counter_ns each time a subscription is confirmed.
    On HTTP 404 at the upgrade (the webSocketUrl went stale) it registers again.
    """

    def __init__(self, client: FloorClient, dc_url: str, ws_url: str) -> None:
        self.client = client
        self.dc_url = dc_url
        self.ws_url = ws_url
        self.sock: FloorSocket | None = None
        self.on_subscribed: list[Any] = []
        self.on_online: list[Any] = []  # perf_counter_ns once each new socket is online
        self.on_closed: list[Any] = []
        self._task: asyncio.Task[None] | None = None
        self.online = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                self.sock = await self.client.connect(self.ws_url)
            except InvalidStatus as exc:
                if exc.response.status_code != 404:
                    raise
                token = await self.client.fetch_token()
                self.ws_url = await self.client.register(self.dc_url, token)
                continue
            stamp = time.perf_counter_ns()
            for cb in list(self.on_online):
                cb(stamp)
            await self.client.subscribe(self.sock, self.dc_url)
            stamp = time.perf_counter_ns()
            self.online.set()
            for cb in list(self.on_subscribed):
                cb(stamp)
            try:
                while True:
                    await self.client.recv(self.sock)
            except ConnectionClosed:
                self.online.clear()
                stamp = time.perf_counter_ns()
                for cb in list(self.on_closed):
                    cb(stamp)
                # step 7: the first reconnect attempt goes at once

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.sock is not None:
            with contextlib.suppress(Exception):
                await self.sock.ws.close(3050, "done (permanent)")
