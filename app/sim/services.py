"""The services around locus that the real SDK calls (SDK_FLOW.md "Stages"): U2C catalog,
region discovery, the optional calls of `meetings.register()`, metrics, and meetingInfo
(the SDK's `meetings.create`). Only loopback URLs of this server are ever handed out."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sim import wdm
from app.sim.bodies import Body
from app.sim.engine import SimEngine
from app.sim.model import Meeting, SimError

# meetingInfo body fields that may name the destination (`meeting-info/utilv2.ts`
# getRequestBody), most specific first
_DESTINATION_FIELDS = ("meetingKey", "sipUrl", "meetingUrl", "meetingNumber", "meetingId")


def _engine(request: Request) -> SimEngine:
    return request.app.state.engine


def _user(request: Request) -> str:
    return _engine(request).check_user(request.headers.get("authorization"))


async def catalog(request: Request) -> Response:
    """Both catalogs; the limited (pre-login) one is asked without a token."""
    if not request.url.path.endswith("/limited/catalog"):
        _user(request)
    return JSONResponse(wdm.catalog(_engine(request).base_url))


async def region(request: Request) -> Response:
    client = request.client.host if request.client else "127.0.0.1"
    return JSONResponse(wdm.region(client))


async def people_me(request: Request) -> Response:
    _user(request)
    return JSONResponse(wdm.people_me())


async def meeting_preferences(request: Request) -> Response:
    _user(request)
    return JSONResponse({})


async def conversation_users(request: Request) -> Response:
    _user(request)
    return JSONResponse(wdm.conversation_user())


async def calliope_clusters(request: Request) -> Response:
    _user(request)
    await Body.read(request)  # validated (400 on garbage), not used
    return JSONResponse(wdm.calliope_clusters())


async def sink(request: Request) -> Response:
    """Metrics, client logs, telemetry: accepted and dropped."""
    await request.body()
    return Response(status_code=204)


async def log_upload_urls(request: Request) -> Response:
    """Log upload, first phase (`internal-plugin-support` submitLogs, asked at every leave):
    where to put the file. Without `tempURL` the SDK's next phase fails unhandled."""
    _user(request)
    body = await Body.read(request)
    name = body.data.get("file") if isinstance(body.data.get("file"), str) else "logs.txt"
    base = _engine(request).base_url
    return JSONResponse(
        {
            "tempURL": f"{base}/clientlogs/upload/{uuid.uuid4().hex}",
            "logFilename": name,
            "userId": wdm.USER_ID,
        }
    )


async def log_upload(request: Request) -> Response:
    await request.body()  # dropped
    return JSONResponse({})


def _destination(body: Body) -> str:
    for name in _DESTINATION_FIELDS:
        value = body.data.get(name)
        if isinstance(value, str) and value.strip():
            return value
    raise SimError(400, f"no destination: give one of {list(_DESTINATION_FIELDS)}")


def meeting_info_body(m: Meeting) -> dict[str, Any]:
    """What the SDK's `parseMeetingInfo` reads. Never `locusClusterUrl`: the SDK would build
    `https://{it}/...` from it, off this server."""
    return {
        "meetingId": m.id,
        "meetingNumber": m.number,
        "meetingName": m.id,
        # a plain digit string: a SIP URI with a dotted domain sends the SDK's next
        # meetingInfo straight to https://{that domain}, off this server (SDK_FLOW.md)
        "sipUrl": m.number,
        "sipMeetingUri": m.number,
        "locusUrl": m.locus_url,
        "isWebinar": m.webinar,
    }


async def meeting_info(request: Request) -> Response:
    async def handle() -> Response:
        _user(request)
        body = await Body.read(request)
        destination = _destination(body)
        engine = _engine(request)
        m = engine.model.meeting_by_address(destination)
        if m is None or m.ended:
            state = "has ended" if m is not None else "is not known here"
            raise SimError(404, f"meeting {destination!r} {state}")
        return JSONResponse(meeting_info_body(m))

    return await _engine(request).faults.run("meetinginfo", request, handle)


def routes() -> list[Route]:
    return [
        Route("/u2c/api/v1/limited/catalog", catalog, methods=["GET"]),
        Route("/u2c/api/v1/catalog", catalog, methods=["GET"]),
        Route("/sqdiscovery/v1/region", region, methods=["GET"]),
        Route("/hydra/v1/people/me", people_me, methods=["GET"]),
        Route("/hydra/v1/meetingPreferences", meeting_preferences, methods=["GET"]),
        Route("/conversation/api/v1/users", conversation_users, methods=["GET"]),
        Route("/calliope/api/discovery/v1/clusters", calliope_clusters, methods=["POST"]),
        Route("/metrics/api/v1/{rest:path}", sink, methods=["POST"]),
        Route("/clientlogs/api/v1/logs/urls", log_upload_urls, methods=["POST"]),
        Route("/clientlogs/api/v1/logs/meta", log_upload, methods=["POST"]),
        Route("/clientlogs/upload/{rest:path}", log_upload, methods=["PUT", "POST"]),
        Route("/clientlogs/api/v1/{rest:path}", sink, methods=["POST", "PUT"]),
        Route("/telemetry/api/v1/{rest:path}", sink, methods=["POST"]),
        Route("/wbxappapi/v1/meetingInfo", meeting_info, methods=["POST"]),
    ]
