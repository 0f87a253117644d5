"""The simulator's inputs get the same: arbitrary bodies on every route (never a 500),
arbitrary client frames on a socket (never an exception), arbitrary tokens and headers on
registration (only its own typed `SimError`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.sim import sessions
from app.sim.app import build_app
from app.sim.bodies import Body
from app.sim.engine import SimEngine
from app.sim.model import SimError, SocketRecord
from app.sim.tokens import TokenMint, decode_unverified

from .strategies import SCALE, deep, examples, hostile_text, json_values, jwt_like, shaped

pytestmark = pytest.mark.timeout(60 * SCALE)  # FUZZ_SCALE: a deep run takes longer

BASE = "http://127.0.0.1:9"  # never contacted: requests go through an in-process ASGI transport
SIM_KEYS = ("meetingId", "lobby", "webinar", "keepAliveSecs", "tokenTtlSecs", "participantId",
            "roles", "enabled", "channel", "action", "tokenType", "perSecond", "endpoint",
            "mode", "delayMs", "status", "count", "body", "code", "reason", "ms", "frame",
            "deviceUrl", "displayName", "role", "name", "device", "invitee", "address",
            "correlationId", "transcribe", "caption", "sipUrl", "meetingKey", "retryAfter",
            "transcriptionPerSecond", "captions", "data-channel-with-jwt-token",
            "joinRole")  # fmt: skip


def engine() -> SimEngine:
    e = SimEngine(BASE, None, None)
    e.model.create_meeting("M", lobby=True, webinar=True, keep_alive_secs=None, token_ttl_secs=None)
    return e


ROUTES = [
    ("POST", "/wdm/api/v1/devices"),
    ("PUT", "/wdm/api/v1/devices/D"),
    ("DELETE", "/wdm/api/v1/devices/D"),
    ("POST", "/locus/api/v1/loci/call"),
    ("PUT", "/locus/api/v1/loci/M/controls/"),
    ("POST", "/wbxappapi/v1/meetingInfo"),
    ("GET", "/u2c/api/v1/catalog"),
    ("POST", "/calliope/api/discovery/v1/clusters"),
    ("POST", "/metrics/api/v1/clientmetrics"),
    ("POST", "/sim/meetings/M/captions"),
    ("POST", "/sim/features"),
    ("POST", "/locus/api/v1/loci/M/participant"),
    ("GET", "/locus/api/v1/loci/M"),
    ("GET", "/locus/api/v1/loci/M/participant/P/keepAlive"),
    ("PUT", "/locus/api/v1/loci/M/participant/P/leave"),
    ("GET", "/locus/api/v1/loci/M/participant/P/datachannel/token"),
    ("GET", "/locus/api/v1/loci/M/participant/P/practiceSession/datachannel/token"),
    ("POST", "/datachannel/api/v1/locus/eA/registrations"),
    ("POST", "/sim/meetings"),
    ("GET", "/sim/meetings/M"),
    ("POST", "/sim/meetings/M/admit"),
    ("POST", "/sim/meetings/M/lobby"),
    ("POST", "/sim/meetings/M/roles"),
    ("POST", "/sim/meetings/M/practice-session"),
    ("POST", "/sim/meetings/M/rotate"),
    ("POST", "/sim/meetings/M/tokens"),
    ("POST", "/sim/meetings/M/transcription"),
    ("POST", "/sim/faults"),
    ("POST", "/sim/sockets"),
]

bodies = st.one_of(
    shaped(SIM_KEYS).map(json.dumps),
    json_values.map(json.dumps),
    hostile_text,
)


@settings(max_examples=examples(400), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(ROUTES),
    bodies,
    st.one_of(st.none(), st.text(max_size=30)),
    st.one_of(st.none(), jwt_like),
)
@example(("POST", "/sim/meetings"), deep(), None, None)
@example(("POST", "/sim/faults"), '{"endpoint": "join", "mode": "hang", "count": 0}', None, None)
def test_every_route_answers_any_body_without_a_server_error(
    route: tuple[str, str], body: str, auth: str | None, dc_token: str | None
) -> None:
    method, path = route
    headers = {"content-type": "application/json"}
    if auth is not None:
        headers["authorization"] = auth
    if dc_token is not None:
        headers["data-channel-auth-token"] = dc_token
    try:
        headers = dict(httpx.Headers(headers))
    except (ValueError, UnicodeError):
        return  # not sendable as a header at all

    async def call() -> httpx.Response:
        e = engine()
        transport = httpx.ASGITransport(app=build_app(e))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            try:
                return await asyncio.wait_for(
                    client.request(method, path, content=body.encode(), headers=headers), 5
                )
            finally:
                e.faults.stopping.set()

    response = asyncio.run(call())
    assert response.status_code < 500 or response.status_code == 503, response.text[:300]
    if response.status_code >= 400:
        assert "message" in response.json()


class FakeLink:
    def __init__(self) -> None:
        self.record = SocketRecord("s1", "default", None, meeting_id="M", participant_id="P")
        self.replies: list[dict[str, Any]] = []

    def reply(self, frame: dict[str, Any]) -> None:
        self.replies.append(frame)

    def push(self, data: dict[str, Any], headers: dict[str, Any] | None = None) -> None:
        self.replies.append({"data": data, "headers": headers})


@settings(max_examples=examples(400))
@given(st.one_of(hostile_text, shaped(("type", "id", "data", "subscribe", "unsubscribe",
                                        "datachannelUri")).map(json.dumps)))  # fmt: skip
@example(deep())
@example('{"type": "subchannelSubscriptionRequest", "data": {"subscribe": "transcription"}}')
@example('{"id": "1", "type": "publishRequest", "data": {"relayType": "client.annc"}}')
@example('{"id": "1", "type": "publishRequest", "data": "client.annc"}')
def test_socket_frames_never_raise(raw: str) -> None:
    link = FakeLink()
    as_bytes = raw.encode("utf-8", "replace")
    for message in (
        {"type": "websocket.receive", "text": raw},
        {"type": "websocket.receive", "bytes": as_bytes},
    ):
        sessions._handle(engine(), link, message)  # type: ignore[arg-type]
    assert all(isinstance(r, dict) for r in link.replies)
    assert all(isinstance(s, str) for s in link.record.subscriptions)


@settings(max_examples=examples(400))
@given(jwt_like)
def test_token_verification_never_raises(token: str) -> None:
    mint = TokenMint(b"k" * 32)
    assert mint.verify(token) is None or isinstance(mint.verify(token), dict)
    assert decode_unverified(token) is None or isinstance(decode_unverified(token), dict)


@settings(max_examples=examples(300))
@given(
    st.one_of(st.text(max_size=40), st.sampled_from(["", BASE + "/x"])),
    st.one_of(st.none(), jwt_like),
    st.one_of(st.none(), json_values),
)
def test_registration_raises_only_sim_errors(url: str, dc_token: str | None, device: Any) -> None:
    e = engine()
    m = e.model.meetings["M"]
    p, _ = e.model.join(m, "dev", "G", "ATTENDEE", "u")
    token = e.dc.issue(m, p, "llm-default-session")
    target = m.datachannel_url("default", BASE)
    for candidate in (url, target):
        for t in (dc_token, token):
            try:
                e.dc.register(candidate, t, device)
            except SimError as exc:
                assert 400 <= exc.status < 500


@settings(max_examples=examples(300))
@given(shaped(SIM_KEYS))
@example({"roles": [[]]})  # found by a deep run: an unhashable entry in a string list
def test_body_validators_raise_only_sim_errors(data: Any) -> None:
    if not isinstance(data, dict):
        return
    body = Body(data)
    for call in (
        lambda: body.string("meetingId", choices=("a", "b")),
        lambda: body.string("participantId", required=True),
        lambda: body.boolean("enabled", required=True),
        lambda: body.integer("count", minimum=1, maximum=10),
        lambda: body.number("perSecond", maximum=50.0),
        lambda: body.string_list("roles", choices=("ATTENDEE", "PANELIST")),
    ):
        try:
            call()
        except SimError as exc:
            assert exc.status == 400 and exc.message
