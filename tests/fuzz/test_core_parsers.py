"""Every core parser that sees network input: no exception escapes but `ProtocolError`.

Frames, locus DTOs, token answers, JWTs, registration and device answers, close codes,
socket URLs, transcripts and HTTP error bodies, fed with arbitrary and shaped JSON.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.core import answers, close_codes
from app.core import protocol as p
from app.core.http import _describe_failure, _json_or_none
from app.core.locus import MeetingView, derive_view, keep_alive_interval
from app.core.protocol import ProtocolError
from app.core.tokens import TokenStore, is_expired, jwt_claims, jwt_exp

from .strategies import (
    ANSWER_KEYS,
    FRAME_KEYS,
    LOCUS_KEYS,
    SCALE,
    deep,
    examples,
    hostile_text,
    json_values,
    jwt_like,
    shaped,
)

pytestmark = pytest.mark.timeout(60 * SCALE)  # FUZZ_SCALE: a deep run takes longer

DEVICE = "http://127.0.0.1:1/wdm/api/v1/devices/d1"


def parsed_or_protocol_error(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ProtocolError:
        return None


@settings(max_examples=examples(400))
@given(st.one_of(hostile_text, shaped(FRAME_KEYS).map(json.dumps)))
@example(deep())
@example('{"data": {"eventType": "relay.event", "relayType": "x", "voiceaPayload": []}}')
def test_parse_frame_text(raw: str) -> None:
    frame = parsed_or_protocol_error(p.parse_frame, raw, 1 << 20)
    assert frame is None or isinstance(frame, p.Frame)
    if isinstance(frame, p.Relay):
        transcript = parsed_or_protocol_error(p.parse_transcript, frame)
        assert transcript is None or isinstance(transcript.text, str)


@settings(max_examples=examples(200))
@given(st.binary(max_size=300))
@example(deep().encode())
@example(b"\xff\xfe{}")
def test_parse_frame_bytes(raw: bytes) -> None:
    frame = parsed_or_protocol_error(p.parse_frame, raw, 1 << 20)
    assert frame is None or isinstance(frame, p.Frame)


@given(st.integers(min_value=0, max_value=64))
def test_frames_over_the_limit_are_refused_before_parsing(extra: int) -> None:
    raw = '{"pad": "' + "a" * (100 + extra) + '"}'
    assert parsed_or_protocol_error(p.parse_frame, raw, 100) is None


@settings(max_examples=examples(400))
@given(st.one_of(json_values, shaped(LOCUS_KEYS)))
@example({"url": "u", "self": {"controls": {"role": {"roles": 5}}}})
@example({"url": "u", "self": {"devices": [{"url": DEVICE, "intent": [1]}]}})
def test_derive_view(locus: Any) -> None:
    view = parsed_or_protocol_error(derive_view, locus, DEVICE)
    assert view is None or isinstance(view, MeetingView)
    if view is not None:
        assert all(isinstance(r, str) for r in view.roles)
        assert keep_alive_interval(view.keep_alive_secs) is None or view.keep_alive_secs


@settings(max_examples=examples(300))
@given(st.one_of(json_values, shaped(ANSWER_KEYS)))
@example({"webSocketUrl": "ws://["})
@example({"webSocketUrl": "wss://h:99999/x"})
@example({"datachannelToken": "t", "dataChannelTokenType": 7})
def test_http_answers(body: Any) -> None:
    reg = parsed_or_protocol_error(answers.parse_registration, body)
    if reg is not None:
        assert reg.web_socket_url.startswith(("ws://", "wss://"))
        # the URL the client then connects to is built without surprises
        url = p.connect_url(reg.web_socket_url, 1, ("transcription",))
        assert "subscriptionAwareSubchannels=transcription" in url
    token = parsed_or_protocol_error(answers.parse_token_answer, body)
    assert token is None or (isinstance(token.token, str) and token.token)
    device = parsed_or_protocol_error(answers.parse_device_answer, body)
    assert device is None or isinstance(device.url, str)


@settings(max_examples=examples(400))
@given(jwt_like)
def test_jwts(token: str) -> None:
    claims = parsed_or_protocol_error(jwt_claims, token)
    assert claims is None or isinstance(claims, dict)
    exp = parsed_or_protocol_error(jwt_exp, token)
    assert exp is None or isinstance(exp, float)
    assert isinstance(is_expired(token, 1.7e9), bool)
    # storing any string never raises, never shows it, and says when it is not a JWT
    store = TokenStore()
    assert store.put(store.ticket("llm-default-session"), token, "fuzz") is True
    slot = store.get("llm-default-session")
    assert slot is not None and (len(token) <= 12 or token not in repr(slot))


@settings(max_examples=examples(100))
@given(
    st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40)),
    st.one_of(st.none(), st.text(max_size=130)),
    st.booleans(),
)
def test_classify_close_always_decides(code: int | None, reason: str | None, online: bool) -> None:
    decision = close_codes.classify_close(code, reason, online)
    assert isinstance(decision.action, close_codes.CloseAction)


@settings(max_examples=examples(200))
@given(st.integers(min_value=100, max_value=599), st.binary(max_size=300), st.text(max_size=30))
@example(500, deep().encode(), "application/json")
def test_http_error_bodies_describe_without_raising(status: int, body: bytes, ctype: str) -> None:
    try:
        response = httpx.Response(status, content=body, headers={"content-type": ctype})
    except (ValueError, UnicodeError):
        return  # httpx refuses the header itself; no server can send it either
    parsed = _json_or_none(response)
    text = _describe_failure(response, parsed)
    assert text.startswith(f"HTTP {status}") and len(text) < 400


url_text = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "ws", "wss", "ftp", "HTTP", ""]),
        st.sampled_from(["127.0.0.1", "localhost", "[::1]", "[", "x.invalid", "", "a b", "::"]),
        st.sampled_from(["", ":1", ":99999", ":-1", ":x", ":"]),
        st.text(max_size=20),
    ),
)


@settings(max_examples=examples(300))
@given(url_text, st.one_of(st.none(), json_values))
async def test_http_call_with_any_url_or_answer_raises_only_http_error(url: str, answer) -> None:
    """URLs come from the server too (locus, datachannel, keep-alive). A mock transport:
    nothing here touches the network."""
    from app.core.http import Http, HttpError

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(answer).encode())

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        http = Http(client, "user-token-123456789", lambda *a: None)
        try:
            result = await http.call("fuzz", "POST", url, body={"x": 1})
        except HttpError:
            return
        assert result.status == 200


@settings(max_examples=examples(300))
@given(url_text)
def test_socket_urls_from_the_server_are_checked_without_surprises(url: str) -> None:
    from app.core.transport import InsecureTransportError, TransportPolicy

    try:
        full = p.connect_url(url, 1, ("transcription",))
        TransportPolicy().check(full)
    except InsecureTransportError:
        assert url.lower().startswith(("http:", "ws:"))
    except ValueError:
        pass  # Connection.open turns this into ConnectFailed("not a valid socket URL")
