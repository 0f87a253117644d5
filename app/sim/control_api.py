"""The `/sim/` host-control API (PROTOCOL.md section 6). Every call answers what it did."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.sim.bodies import Body
from app.sim.engine import SimEngine
from app.sim.faults import DEFAULT_RETRY_AFTER_503, ENDPOINTS, MODES, Fault
from app.sim.model import (
    ALL_CHANNELS,
    DC_CHANNELS,
    JWT_FEATURE,
    ROLE_TYPES,
    TOKEN_TYPES,
    Phase,
    SimError,
)
from app.sim.transcript import MAX_PER_SECOND
from app.sim.views import state_view

_UNSET = object()
_MEETING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SOCKET_ACTIONS = ("close", "reset", "halfopen", "latency", "send", "shutdown")
DEFAULT_DRAIN_MS = 10_000  # shutdown: 4001 after this long if no replacement came online
# Codes a close frame may carry (1005, 1006 and 1015 never go on the wire).
_SENDABLE = set(range(1000, 1004)) | set(range(1007, 1015)) | set(range(3000, 5000))


def _engine(request: Request) -> SimEngine:
    return request.app.state.engine


async def create_meeting(request: Request) -> JSONResponse:
    body = await Body.read(request)
    meeting_id = body.string("meetingId")
    if meeting_id is not None and not _MEETING_ID.match(meeting_id):
        raise SimError(400, "meetingId may hold letters, digits, '.', '_' and '-' (1-64)")
    m, created = _engine(request).create_meeting(
        meeting_id,
        lobby=body.boolean("lobby", default=True),
        webinar=body.boolean("webinar", default=True),
        keep_alive_secs=body.integer("keepAliveSecs", minimum=1, maximum=3600),
        token_ttl_secs=body.integer("tokenTtlSecs", minimum=1, maximum=30 * 86400),
        transcription_per_second=body.number("transcriptionPerSecond", maximum=MAX_PER_SECOND),
        captions=body.boolean("captions", default=False),
        join_role=body.string("joinRole", choices=ROLE_TYPES),
    )
    answer = {
        "meetingId": m.id,
        "locusUrl": m.locus_url,
        "meetingNumber": m.number,
        "transcriptionPerSecond": m.transcription_per_second,
        "captions": m.captions,
        "joinRole": m.join_role,
        "created": created,
    }
    return JSONResponse(answer, status_code=201 if created else 200)


async def list_meetings(request: Request) -> JSONResponse:
    meetings = _engine(request).model.meetings.values()
    return JSONResponse({"meetings": [{"meetingId": m.id, "ended": m.ended} for m in meetings]})


async def meeting_state(request: Request) -> JSONResponse:
    engine = _engine(request)
    m = engine.meeting(request.path_params["meeting_id"])
    return JSONResponse(state_view(engine.model, m))


async def end_meeting(request: Request) -> JSONResponse:
    return JSONResponse(_engine(request).end_meeting(request.path_params["meeting_id"]))


async def admit(request: Request) -> JSONResponse:
    body = await Body.read(request)
    pid = body.string("participantId")
    return JSONResponse(_engine(request).admit(request.path_params["meeting_id"], pid))


async def lobby(request: Request) -> JSONResponse:
    body = await Body.read(request)
    pid = body.string("participantId", required=True) or ""
    return JSONResponse(_engine(request).to_lobby(request.path_params["meeting_id"], pid))


async def roles(request: Request) -> JSONResponse:
    body = await Body.read(request)
    pid = body.string("participantId", required=True) or ""
    wanted = body.string_list("roles", choices=ROLE_TYPES)
    return JSONResponse(_engine(request).set_roles(request.path_params["meeting_id"], pid, wanted))


async def practice_session(request: Request) -> JSONResponse:
    body = await Body.read(request)
    enabled = body.boolean("enabled", required=True)
    return JSONResponse(_engine(request).set_practice(request.path_params["meeting_id"], enabled))


async def rotate(request: Request) -> JSONResponse:
    body = await Body.read(request)
    channel = body.string("channel", required=True, choices=DC_CHANNELS) or ""
    return JSONResponse(_engine(request).rotate(request.path_params["meeting_id"], channel))


async def tokens(request: Request) -> JSONResponse:
    body = await Body.read(request)
    action = body.string("action", required=True, choices=("expire", "revoke")) or ""
    token_type = body.string("tokenType", choices=TOKEN_TYPES.values())
    meeting_id = request.path_params["meeting_id"]
    return JSONResponse(_engine(request).mark_tokens(meeting_id, action, token_type))


async def transcription(request: Request) -> JSONResponse:
    body = await Body.read(request)
    rate = body.number("perSecond", required=True, maximum=MAX_PER_SECOND) or 0.0
    return JSONResponse(_engine(request).set_transcription(request.path_params["meeting_id"], rate))


async def captions(request: Request) -> JSONResponse:
    body = await Body.read(request)
    enabled = body.boolean("enabled", required=True)
    return JSONResponse(_engine(request).set_captions(request.path_params["meeting_id"], enabled))


async def features(request: Request) -> JSONResponse:
    """`{"data-channel-with-jwt-token": bool}`: what the device service answers from now on
    (new registrations and refreshes; devices keep what they were last told)."""
    body = await Body.read(request)
    enabled = body.boolean(JWT_FEATURE, required=True)
    return JSONResponse(_engine(request).set_features(enabled))


async def get_features(request: Request) -> JSONResponse:
    return JSONResponse({"features": {JWT_FEATURE: _engine(request).model.jwt_feature}})


async def set_fault(request: Request) -> JSONResponse:
    body = await Body.read(request)
    is_body = body.data.get("mode") == "body"
    raw_body = body.data.get("body")
    if is_body and not isinstance(raw_body, str):
        raise SimError(400, "mode 'body' needs 'body': the raw text to answer with")
    status = body.integer("status", minimum=200, maximum=599) or (200 if is_body else 500)
    fault = Fault(
        endpoint=body.string("endpoint", required=True, choices=ENDPOINTS) or "",
        mode=body.string("mode", required=True, choices=MODES) or "",
        delay_ms=body.integer("delayMs", minimum=0, maximum=600_000),
        status=status,
        remaining=body.integer("count", minimum=1),
        body=raw_body,
        retry_after=_retry_after(body, status),
    )
    _engine(request).faults.set(fault)
    return JSONResponse({"fault": fault.view()})


def _retry_after(body: Body, status: int) -> int | None:
    """`retryAfter`: seconds, or false / null for no header. A 503 sends one by default."""
    value = body.data.get("retryAfter", _UNSET)
    if value is _UNSET:
        return DEFAULT_RETRY_AFTER_503 if status == 503 else None
    if value is None or value is False:
        return None
    return body.integer("retryAfter", minimum=0, maximum=3600)


async def clear_faults(request: Request) -> JSONResponse:
    return JSONResponse({"cleared": _engine(request).faults.clear()})


async def clear_one_fault(request: Request) -> JSONResponse:
    """`DELETE /sim/faults/{endpoint}` (beyond PROTOCOL.md): the other faults stay as they are."""
    endpoint = request.path_params["endpoint"]
    if endpoint not in ENDPOINTS:
        raise SimError(400, f"endpoint must be one of {sorted(ENDPOINTS)}, not {endpoint!r}")
    return JSONResponse({"cleared": int(_engine(request).faults.clear_one(endpoint))})


async def list_faults(request: Request) -> JSONResponse:
    """Active faults, plus the other network conditions in force: socket latency and
    transcription rates (the UI shows them together)."""
    engine = _engine(request)
    slow = [
        {
            "socketId": s.id,
            "meetingId": s.meeting_id,
            "participantId": s.participant_id,
            "deviceId": s.device_id,
            "channel": s.channel,
            "latencyMs": s.latency_ms,
            "state": s.state,
        }
        for s in engine.model.sockets.values()
        if s.latency_ms or s.state != "open"
    ]
    rates = [
        {"meetingId": m.id, "perSecond": m.transcription_per_second, "captions": m.captions}
        for m in engine.model.meetings.values()
        if not m.ended and m.transcription_per_second > 0
    ]
    return JSONResponse({"faults": engine.faults.view(), "sockets": slow, "transcription": rates})


async def sockets(request: Request) -> JSONResponse:
    body = await Body.read(request)
    engine = _engine(request)
    m = engine.meeting(body.string("meetingId", required=True) or "")
    channel = body.string("channel", required=True, choices=ALL_CHANNELS) or ""
    action = body.string("action", required=True, choices=SOCKET_ACTIONS) or ""
    code = body.integer("code") or 1000
    if code not in _SENDABLE:
        raise SimError(400, f"close code {code} cannot be sent in a close frame (try reset)")
    reason = body.data.get("reason") or ""
    if not isinstance(reason, str) or len(reason.encode()) > 123:
        raise SimError(400, "reason must be a string of at most 123 bytes")
    ms = body.integer("ms", minimum=0, maximum=60_000, required=action == "latency") or 0
    pid = body.string("participantId")
    frame = body.data.get("frame")
    if action == "send" and (not isinstance(frame, str) or len(frame) > 4 << 20):
        raise SimError(400, "send needs 'frame': the raw text to send (at most 4 MiB)")
    return JSONResponse(
        socket_action(engine, m.id, pid, channel, action, code, reason, ms, frame or "")
    )


def socket_action(
    engine: SimEngine,
    meeting_id: str,
    participant_id: str | None,
    channel: str,
    action: str,
    code: int,
    reason: str,
    ms: int,
    frame: str = "",
) -> dict[str, Any]:
    m = engine.meeting(meeting_id)
    model = engine.model
    if participant_id is not None:
        p = engine.participant(m, participant_id)
    else:
        present = [q for q in m.participants.values() if q.phase != Phase.LEFT]
        with_socket = [q for q in present if model.participant_sockets(q, channel)]
        candidates = with_socket or present or list(m.participants.values())
        if not candidates:
            raise SimError(404, f"meeting {m.id!r} has no participants")
        p = candidates[0]
    affected = []
    for record in model.participant_sockets(p, channel):
        conn = engine.proxy.conn(record.client_port) if engine.proxy else None
        if action == "close":
            engine.close_socket(record.id, code, reason)
        elif action == "shutdown":
            if not engine.drain_socket(record.id, ms or DEFAULT_DRAIN_MS):
                continue
        elif action == "send":
            link = engine.links.get(record.id)
            if link is None:
                continue
            link.send_raw(frame)
        elif conn is None:
            continue  # its TCP link is already gone
        elif action == "reset":
            conn.reset()
        elif action == "halfopen":
            conn.set_halfopen()
            record.state = "halfopen"
        else:
            conn.set_latency(ms)
            record.latency_ms = ms
        affected.append(record.id)
    model.touch()
    answer: dict[str, Any] = {
        "meetingId": m.id,
        "participantId": p.id,
        "channel": channel,
        "action": action,
        "sockets": affected,
    }
    if action == "close":
        answer.update(code=code, reason=reason)
    if action == "latency":
        answer["ms"] = ms
    if action == "shutdown":
        answer["ms"] = ms or DEFAULT_DRAIN_MS
    if not affected:
        answer["message"] = f"no live {channel} socket for {p.id}: nothing done"
    return answer


def routes() -> list[Route]:
    mid = "/sim/meetings/{meeting_id}"
    return [
        Route("/sim/meetings", create_meeting, methods=["POST"]),
        Route("/sim/meetings", list_meetings, methods=["GET"]),
        Route(mid, meeting_state, methods=["GET"]),
        Route(mid, end_meeting, methods=["DELETE"]),
        Route(f"{mid}/admit", admit, methods=["POST"]),
        Route(f"{mid}/lobby", lobby, methods=["POST"]),
        Route(f"{mid}/roles", roles, methods=["POST"]),
        Route(f"{mid}/practice-session", practice_session, methods=["POST"]),
        Route(f"{mid}/rotate", rotate, methods=["POST"]),
        Route(f"{mid}/tokens", tokens, methods=["POST"]),
        Route(f"{mid}/transcription", transcription, methods=["POST"]),
        Route(f"{mid}/captions", captions, methods=["POST"]),
        Route("/sim/features", features, methods=["POST"]),
        Route("/sim/features", get_features, methods=["GET"]),
        Route("/sim/faults", set_fault, methods=["POST"]),
        Route("/sim/faults", clear_faults, methods=["DELETE"]),
        Route("/sim/faults", list_faults, methods=["GET"]),
        Route("/sim/faults/{endpoint}", clear_one_fault, methods=["DELETE"]),
        Route("/sim/sockets", sockets, methods=["POST"]),
    ]
