"""The Starlette app: locus, device, token and registration endpoints, sockets, `/sim/`."""

from __future__ import annotations

import asyncio
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from app.sim import control_api, sessions
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
    async def handle() -> Response:
        _user(request)
        body = await Body.read(request)
        name = body.string("name", default="dcmon") or "dcmon"
        return JSONResponse(_engine(request).add_device(name))

    return await _engine(request).faults.run("device", request, handle)


async def join(request: Request) -> Response:
    async def handle() -> Response:
        token = _user(request)
        body = await Body.read(request)
        device_url = body.string("deviceUrl", required=True) or ""
        name = body.string("displayName", default="Guest") or "Guest"
        role = (body.string("role", default="ATTENDEE") or "ATTENDEE").upper()
        if role not in ROLE_TYPES:
            raise SimError(400, f"role must be one of {list(ROLE_TYPES)}")
        meeting_id = request.path_params["meeting_id"]
        return JSONResponse(_engine(request).join(meeting_id, device_url, name, role, token))

    return await _engine(request).faults.run("join", request, handle)


async def resync(request: Request) -> Response:
    token = _user(request)
    device_url = request.query_params.get("deviceUrl")
    meeting_id = request.path_params["meeting_id"]
    return JSONResponse(_engine(request).resync(meeting_id, token, device_url))


async def keep_alive(request: Request) -> Response:
    async def handle() -> Response:
        _user(request)
        params = request.path_params
        answer = _engine(request).keep_alive(params["meeting_id"], params["participant_id"])
        return JSONResponse(answer)

    return await _engine(request).faults.run("keepalive", request, handle)


async def leave(request: Request) -> Response:
    _user(request)
    params = request.path_params
    return JSONResponse(_engine(request).leave(params["meeting_id"], params["participant_id"]))


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
        return JSONResponse(engine.dc.register(url, dc_token, device_url))

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
        Route(LOCI, resync, methods=["GET"]),
        Route(LOCI + "/participant", join, methods=["POST"]),
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
