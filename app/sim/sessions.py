"""Server side of one WebSocket (device socket or data channel), PROTOCOL.md section 4.

authorization frame -> `mercury.buffer_state` first -> pings, acks, subscription requests.
Malformed frames are logged and ignored; nothing a client sends can crash the server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.sim.engine import SimEngine
from app.sim.links import SocketLink
from app.sim.model import SocketRecord
from app.sim.tokens import mask

log = logging.getLogger("app.sim.sockets")

# as traced: the SDK only looks at eventType, the rest is what the recorded server sent
BUFFER_STATE = {
    "eventType": "mercury.buffer_state",
    "buffer_state": {"conversation": "UNKNOWN", "locus": "UNKNOWN"},
}
MAX_FRAME_BYTES = 1024 * 1024  # larger client frames are ignored
AUTH_TIMEOUT_SECS = 10.0


async def deny(websocket: WebSocket, message: str, status: int = 404) -> None:
    """Refuse the upgrade with a real HTTP status (ASGI websocket.http.response)."""
    log.info("socket upgrade refused (%d): %s", status, message)
    body = {"message": message, "status": status}
    await websocket.send_denial_response(JSONResponse(body, status_code=status))


async def _authorize(websocket: WebSocket, engine: SimEngine) -> bool:
    """The first frame must carry `Bearer <user token>`; otherwise close 4401."""
    try:
        message = await asyncio.wait_for(websocket.receive(), AUTH_TIMEOUT_SECS)
    except TimeoutError:
        await websocket.close(4401, "authorization timeout")
        return False
    if message["type"] == "websocket.disconnect":
        return False
    frame = _parse(message)
    token = None
    if frame is not None and frame.get("type") == "authorization":
        data = frame.get("data")
        bearer = data.get("token") if isinstance(data, dict) else None
        if isinstance(bearer, str):
            scheme, _, value = bearer.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else None
    if not engine.user_ok(token):
        log.info("socket auth refused (token %s)", mask(token))
        await websocket.close(4401, "unauthorized")
        return False
    return True


def _parse(message: dict[str, Any]) -> dict[str, Any] | None:
    raw = message.get("text")
    if raw is None:
        raw = message.get("bytes") or b""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode())
    if size > MAX_FRAME_BYTES:
        log.warning("ignoring a %d-byte client frame (limit %d)", size, MAX_FRAME_BYTES)
        return None
    try:
        frame = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        log.warning("ignoring a client frame that is not JSON: %.60r", raw)
        return None
    if not isinstance(frame, dict):
        log.warning("ignoring a client frame that is not an object: %.60r", raw)
        return None
    return frame


def _open(engine: SimEngine, websocket: WebSocket, record: SocketRecord) -> SocketLink:
    """Register a socket, replacing the previous one of the same owner and channel: 4000,
    or 4001 for one draining after a `shutdown` (its replacement is now online)."""
    model = engine.model
    previous = []
    for old in list(model.sockets.values()):
        same_device = record.device_id is not None and old.device_id == record.device_id
        same_channel = (
            record.participant_id is not None
            and old.participant_id == record.participant_id
            and old.channel == record.channel
        )
        if same_device or same_channel:
            previous.append(old)
    link = SocketLink(record, websocket, model)
    engine.links[record.id] = link
    model.add_socket(record)
    # Online only once this arrives, so it goes first (PROTOCOL.md section 4 step 4).
    link.push(BUFFER_STATE)
    link.start()
    for old in previous:
        if old.draining:
            engine.replaced_after_drain(old.id)
        elif not record.multiple:
            engine.close_socket(old.id, 4000, "replaced")
    return link


def _names(value: Any) -> list[str]:
    """Subchannel names from a request field; anything but a list of strings counts as []."""
    if not isinstance(value, list):
        return []
    return [name for name in value if isinstance(name, str)]


def _handle(engine: SimEngine, link: SocketLink, message: dict[str, Any]) -> None:
    record = link.record
    record.frames_in += 1
    engine.model.touch()
    frame = _parse(message)
    if frame is None:
        return
    kind = frame.get("type")
    if kind == "ping":
        if "id" in frame:
            link.reply({"type": "pong", "id": frame["id"]})
    elif kind == "ack":
        record.acks += 1
    elif kind == "publishRequest":
        data = frame.get("data")
        relay = data.get("relayType") if isinstance(data, dict) else None
        if relay == "client.annc" and record.channel in ("default", "practice"):
            engine.announce(link)
        else:
            log.debug("socket %s: ignoring publishRequest %r", record.id, relay)
    elif kind == "subchannelSubscriptionRequest":
        data = frame.get("data")
        if not isinstance(data, dict):
            log.warning("socket %s: subscription request without data", record.id)
            return
        subscribe = _names(data.get("subscribe"))
        unsubscribe = _names(data.get("unsubscribe"))
        subs = [s for s in record.subscriptions if s not in unsubscribe]
        subs += [s for s in subscribe if s not in subs]
        record.subscriptions = subs
        engine.model.touch()
        link.reply(
            {
                "id": str(uuid.uuid4()),  # every server frame has one: the SDK acks it
                "type": "subchannelSubscriptionResponse",
                # data.eventType: mercury.js `_onmessage` splits it for every frame but
                # pong/shutdown (a frame without one throws there); this one names no SDK
                # plugin, so no handler runs and the SDK only emits `event:<it>` (unheard)
                "data": {
                    "eventType": "subchannelSubscriptionResponse",
                    "subscribed": subscribe,
                    "unsubscribed": unsubscribe,
                },
            }
        )
    else:
        log.debug("socket %s: ignoring frame type %r", record.id, kind)


async def serve(websocket: WebSocket, engine: SimEngine, record: SocketRecord) -> None:
    """Run one accepted socket until either side closes it."""
    await websocket.accept()
    if not await _authorize(websocket, engine):
        return
    if record.participant_id is not None:
        # The right to the channel may have gone while the client was authorizing.
        m = engine.model.meetings.get(record.meeting_id or "")
        p = m.participants.get(record.participant_id) if m else None
        error = m.entitlement_error(p, record.channel) if m and p else "participant is gone"
        if error:
            await websocket.close(1000, error)
            return
    record.frames_in = 1  # the authorization frame
    link = _open(engine, websocket, record)
    log.info("socket %s open (%s)", record.id, record.channel)
    try:
        while True:
            try:
                message = await websocket.receive()
            except (WebSocketDisconnect, RuntimeError):
                break
            if message["type"] == "websocket.disconnect":
                break
            try:
                _handle(engine, link, message)
            except Exception:  # a frame we did not foresee must not end the socket
                log.exception("socket %s: error handling a client frame", record.id)
    finally:
        engine.model.remove_socket(record.id)
        engine.links.pop(record.id, None)
        await link.finish()
        log.info("socket %s gone (%s)", record.id, record.channel)


async def device_socket(websocket: WebSocket, engine: SimEngine, device_id: str) -> None:
    if engine.stopping or device_id not in engine.model.devices:
        await deny(websocket, "unknown device")
        return
    record = SocketRecord(
        id=f"s-{uuid.uuid4().hex[:8]}",
        channel="device",
        client_port=_client_port(websocket),
        device_id=device_id,
        multiple=_multiple(websocket),
    )
    await serve(websocket, engine, record)


async def llm_socket(websocket: WebSocket, engine: SimEngine, key: str) -> None:
    engine.dc.count_socket_attempt(key)
    target = engine.dc.ws_key(key)
    if engine.stopping or target is None:
        await deny(websocket, "unknown or stale webSocketUrl: register again")
        return
    record = SocketRecord(
        id=f"s-{uuid.uuid4().hex[:8]}",
        channel=target.channel,
        client_port=_client_port(websocket),
        meeting_id=target.meeting_id,
        participant_id=target.participant_id,
        binding=target.binding,
        multiple=_multiple(websocket),
        aware=_aware(websocket),
    )
    await serve(websocket, engine, record)


def _aware(websocket: WebSocket) -> tuple[str, ...]:
    raw = websocket.query_params.get("subscriptionAwareSubchannels", "")
    return tuple(name for name in raw.split(",") if name)


def _multiple(websocket: WebSocket) -> bool:
    return websocket.query_params.get("multipleConnections", "").lower() == "true"


def _client_port(websocket: WebSocket) -> int | None:
    client = websocket.scope.get("client")
    return client[1] if client else None
