"""The Starlette app: locus, device, token and registration endpoints, sockets, `/sim/`."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from app.sim import control_api, services, sessions
from app.sim.bodies import Body
from app.sim.engine import SimEngine
from app.sim.faults import abandoned
from app.sim.model import ROLE_TYPES, TOKEN_TYPES, SimError

log = logging.getLogger("app.sim")

LOCI = "/locus/api/v1/loci/{meeting_id}"
PARTICIPANT = LOCI + "/participant/{participant_id}"
DEFAULT_TOKEN = TOKEN_TYPES["default"]
PRACTICE_TOKEN = TOKEN_TYPES["practice"]


def _engine(request: Request | WebSocket) -> SimEngine:
    return request.app.state.engine


def _user(request: Request) -> str:
    return _engine(request).check_user(request.headers.get("authorization"))


async def device(request: Request) -> Response:
    """`POST /wdm/api/v1/devices` (the SDK adds `?includeUpstreamServices=all`)."""

    async def handle() -> Response:
        _user(request)
        body = await Body.read(request)
        name = body.string("name", default="dcmon") or "dcmon"
        device_type = body.string("deviceType", default="WEB") or "WEB"
        return JSONResponse(_engine(request).add_device(name, device_type))

    return await _engine(request).faults.run("device", request, handle)


async def device_refresh(request: Request) -> Response:
    """`PUT {deviceUrl}`: the SDK's `device.refresh()`; features are re-read from it."""

    async def handle() -> Response:
        _user(request)
        await Body.read(request)  # the registration body again: validated, not needed
        return JSONResponse(_engine(request).refresh_device(request.path_params["device_id"]))

    return await _engine(request).faults.run("device", request, handle)


async def device_delete(request: Request) -> Response:
    _user(request)
    _engine(request).delete_device(request.path_params["device_id"])
    return Response(status_code=204)


@dataclass(frozen=True)
class JoinBody:
    device_url: str
    device_type: str
    correlation_id: str | None
    display_name: str
    role: str | None  # None: the meeting's joinRole
    invitee: str | None


def _join_body(body: Body) -> JoinBody:
    """The SDK's join body (`meeting/request.ts` joinMeeting): `device: {url, deviceType}`,
    `correlationId`, `invitee: {address}` on /loci/call. [ours] `displayName` and `role`
    (the SDK sends neither); `deviceUrl` is still read for clients of the old dialect."""
    device = body.data.get("device")
    device_type = "WEB"
    if device is not None:
        if not isinstance(device, dict):
            raise SimError(400, "field 'device' must be an object {url, deviceType}")
        device_body = Body(device)
        device_url = device_body.string("url", required=True) or ""
        device_type = device_body.string("deviceType", default="WEB") or "WEB"
    else:
        device_url = body.string("deviceUrl") or ""
        if not device_url:
            raise SimError(400, "field 'device' ({url, deviceType}) is required")
    role = body.string("role")
    role = role.upper() if role else None
    if role is not None and role not in ROLE_TYPES:
        raise SimError(400, f"role must be one of {list(ROLE_TYPES)}")
    invitee = body.data.get("invitee")
    address = None
    if invitee is not None:
        if not isinstance(invitee, dict):
            raise SimError(400, "field 'invitee' must be an object {address}")
        address = Body(invitee).string("address")
    return JoinBody(
        device_url=device_url,
        device_type=device_type,
        correlation_id=body.string("correlationId"),
        display_name=body.string("displayName", default="Guest") or "Guest",
        role=role,
        invitee=address,
    )


async def join(request: Request) -> Response:
    """`POST {locusUrl}/participant?alternateRedirect=true`."""

    async def handle() -> Response:
        token = _user(request)
        jb = _join_body(await Body.read(request))
        meeting_id = request.path_params["meeting_id"]
        return JSONResponse(_join(request, meeting_id, jb, token))

    return await _engine(request).faults.run("join", request, handle)


async def join_call(request: Request) -> Response:
    """`POST /locus/api/v1/loci/call?alternateRedirect=true` with `invitee: {address}`:
    the address is a meeting id or number, `wbxmn:<it>`, or a URL / SIP URI naming it."""

    async def handle() -> Response:
        token = _user(request)
        jb = _join_body(await Body.read(request))
        if not jb.invitee:
            raise SimError(400, "field 'invitee' ({address}) is required on /loci/call")
        m = _engine(request).model.meeting_by_address(jb.invitee)
        if m is None:
            raise SimError(404, f"no meeting at address {jb.invitee!r}")
        return JSONResponse(_join(request, m.id, jb, token))

    return await _engine(request).faults.run("join", request, handle)


def _join(request: Request, meeting_id: str, jb: JoinBody, token: str) -> dict:
    return _engine(request).join(
        meeting_id,
        jb.device_url,
        jb.display_name,
        jb.role,
        token,
        jb.correlation_id,
        jb.device_type,
    )


async def controls(request: Request) -> Response:
    """`PUT {locusUrl}/controls/` `{transcribe: {caption}, languageCode?}` (SDK `voicea.ts`
    requestTurnOnCaptions); other controls are accepted and left as they are."""

    async def handle() -> Response:
        token = _user(request)
        body = await Body.read(request)
        transcribe = body.data.get("transcribe")
        caption = None
        if transcribe is not None:
            if not isinstance(transcribe, dict):
                raise SimError(400, "field 'transcribe' must be an object {caption: bool}")
            tb = Body(transcribe)
            if tb.data.get("caption") is not None:
                caption = tb.boolean("caption")
        meeting_id = request.path_params["meeting_id"]
        return JSONResponse(_engine(request).controls(meeting_id, token, caption))

    return await _engine(request).faults.run("controls", request, handle)


async def resync(request: Request) -> Response:
    """`GET /locus/api/v1/loci/{id}`: the whole locus (a client's resync). Fault endpoint
    `loci`, with the list below."""

    async def handle() -> Response:
        token = _user(request)
        device_url = request.query_params.get("deviceUrl")
        meeting_id = request.path_params["meeting_id"]
        return JSONResponse(_engine(request).resync(meeting_id, token, device_url))

    return await _engine(request).faults.run("loci", request, handle)


async def active_loci(request: Request) -> Response:
    """`GET /locus/api/v1/loci` (SDK `meetings/request.ts` getActiveMeetings). The device is
    the SDK's `cisco-device-url` header (`internal-plugin-device` DeviceUrlInterceptor) or a
    `deviceUrl` query; without either, the caller's user token decides."""

    async def handle() -> Response:
        token = _user(request)
        headers = request.headers
        device_url = headers.get("cisco-device-url") or request.query_params.get("deviceUrl")
        return JSONResponse(_engine(request).active_loci(token, device_url))

    return await _engine(request).faults.run("loci", request, handle)


async def keep_alive(request: Request) -> Response:
    async def handle() -> Response:
        _user(request)
        params = request.path_params
        answer = _engine(request).keep_alive(params["meeting_id"], params["participant_id"])
        return JSONResponse(answer)

    return await _engine(request).faults.run("keepalive", request, handle)


async def leave(request: Request) -> Response:
    """`PUT .../participant/{pid}/leave`; the SDK's body (`device`, `usingResource`,
    `correlationId`, `sequence`) is tolerated, whatever it holds."""

    async def handle() -> Response:
        _user(request)
        params = request.path_params
        answer = _engine(request).leave(params["meeting_id"], params["participant_id"])
        return JSONResponse(answer)

    return await _engine(request).faults.run("leave", request, handle)


def _token_route(token_type: str):
    """GET .../datachannel/token (default) or .../practiceSession/datachannel/token.

    The token type is the route's, decided by the client (SDK `meeting/request.ts`
    `fetchDatachannelToken`); a body (`{}`, `{sequence}` from the locus request layer) is
    tolerated and ignored, whatever it holds.
    """

    async def token(request: Request) -> Response:
        async def handle() -> Response:
            _user(request)
            params = request.path_params
            answer = _engine(request).dc.issue_token(
                params["meeting_id"], params["participant_id"], token_type
            )
            return JSONResponse(answer)

        return await _engine(request).faults.run("token", request, handle)

    return token


async def register(request: Request) -> Response:
    engine = _engine(request)
    url = engine.base_url + request.url.path
    body = await Body.read(request)
    device_url = body.data.get("deviceUrl")
    channel = engine.dc.channel_of(url)

    async def handle() -> Response:
        engine.check_user(request.headers.get("authorization"))
        dc_token = request.headers.get("data-channel-auth-token")
        device = engine.model.device_by_url(device_url) if isinstance(device_url, str) else None
        # a device registered with the JWT feature off may register without the header, as
        # against a backend that does not enforce tokens (PROTOCOL.md section 4.1)
        enforce = device is None or device.jwt_feature
        return JSONResponse(engine.dc.register(url, dc_token, device_url, enforce))

    if not isinstance(device_url, str) or channel is None:
        return await engine.faults.run("register", request, handle)
    # in flight from arrival until answered or abandoned by the client (faults.run returns
    # as soon as the client goes away): two answered at once for one device and channel is
    # a client bug (SCENARIOS A4)
    ticket = engine.model.registration_started(device_url, channel)
    answered = True
    try:
        response = await engine.faults.run("register", request, handle)
        answered = not abandoned(response)
        return response
    except asyncio.CancelledError:  # the server is going down: nobody gets this answer
        answered = False
        raise
    finally:
        engine.model.registration_ended(ticket, answered)


async def device_ws(websocket: WebSocket) -> None:
    await sessions.device_socket(websocket, _engine(websocket), websocket.path_params["device_id"])


async def llm_ws(websocket: WebSocket) -> None:
    await sessions.llm_socket(websocket, _engine(websocket), websocket.path_params["key"])


async def _sim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SimError)
    return JSONResponse({"message": exc.message, "status": exc.status}, status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse(
        {"message": str(exc.detail), "status": exc.status_code}, status_code=exc.status_code
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"message": f"internal error: {exc!r}", "status": 500}, status_code=500)


def build_app(engine: SimEngine) -> Starlette:
    routes = [
        Route("/wdm/api/v1/devices", device, methods=["POST"]),
        Route("/wdm/api/v1/devices/{device_id}", device_refresh, methods=["PUT"]),
        Route("/wdm/api/v1/devices/{device_id}", device_delete, methods=["DELETE"]),
        Route("/locus/api/v1/loci/call", join_call, methods=["POST"]),
        Route("/locus/api/v1/loci", active_loci, methods=["GET"]),
        Route(LOCI, resync, methods=["GET"]),
        Route(LOCI + "/participant", join, methods=["POST"]),
        Route(LOCI + "/controls/", controls, methods=["PUT"]),
        Route(LOCI + "/controls", controls, methods=["PUT"]),
        Route(PARTICIPANT + "/keepAlive", keep_alive, methods=["GET"]),
        Route(PARTICIPANT + "/leave", leave, methods=["PUT"]),
        Route(PARTICIPANT + "/datachannel/token", _token_route(DEFAULT_TOKEN), methods=["GET"]),
        Route(
            PARTICIPANT + "/practiceSession/datachannel/token",
            _token_route(PRACTICE_TOKEN),
            methods=["GET"],
        ),
        Route("/datachannel/api/v1/locus/{rest:path}", register, methods=["POST"]),
        WebSocketRoute("/mercury/{device_id}", device_ws),
        WebSocketRoute("/llm/{key}", llm_ws),
        *services.routes(),
        *control_api.routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            SimError: _sim_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.engine = engine
    return app
