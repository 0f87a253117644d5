"""Pure protocol logic: frames, outbound shapes, connect URL, HTTP answers, close codes (R4)."""

import json

import pytest

from app.core import answers, close_codes
from app.core import protocol as p


def test_buffer_state_without_type_is_the_online_frame() -> None:
    f = p.parse_frame(json.dumps({"id": "1", "data": {"eventType": "mercury.buffer_state"}}))
    assert isinstance(f, p.OnlineFrame) and f.id == "1"
    also = p.parse_frame(json.dumps({"data": {"eventType": "mercury.registration_status"}}))
    assert isinstance(also, p.OnlineFrame)


def test_buffer_state_with_a_type_does_not_count_as_online() -> None:
    f = p.parse_frame(json.dumps({"type": "x", "data": {"eventType": "mercury.buffer_state"}}))
    assert not isinstance(f, p.OnlineFrame)


def test_pong_subscription_relay_locus_and_unknown() -> None:
    assert isinstance(p.parse_frame('{"type": "pong", "id": "a"}'), p.Pong)
    sub = p.parse_frame(
        json.dumps(
            {"type": "subchannelSubscriptionResponse", "data": {"subscribed": ["transcription"]}}
        )
    )
    assert isinstance(sub, p.SubscriptionResponse) and sub.subscribed == ("transcription",)
    relay = p.parse_frame(
        json.dumps(
            {
                "id": "r1",
                "sequenceNumber": 4,
                "headers": {"from": "voicea"},
                "data": {
                    "eventType": "relay.event",
                    "relayType": "voicea.transcription",
                    "voiceaPayload": {
                        "type": "transcript_final_result",
                        "transcript_id": "t",
                        "transcripts": [{"text": "hello", "transcript_language_code": "en"}],
                    },
                },
            }
        )
    )
    assert isinstance(relay, p.Relay) and relay.sequence_number == 4 and relay.sender == "voicea"
    t = p.parse_transcript(relay)
    assert t is not None and t.final and t.text == "hello" and t.language == "en"
    locus = p.parse_frame(
        json.dumps({"data": {"eventType": "locus.difference", "locus": {"url": "u"}}})
    )
    assert isinstance(locus, p.LocusDelta)
    other = p.parse_frame('{"id": 7, "type": "brandNew"}')
    assert isinstance(other, p.OtherFrame) and other.id == "7" and other.type == "brandNew"


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[1, 2]",
        '"text"',
        '{"type": 5}',
        '{"data": "x"}',
        '{"data": {"eventType": "relay.event"}}',
        '{"data": {"eventType": "locus.difference", "locus": 3}}',
        '{"type": "subchannelSubscriptionResponse", "data": {"subscribed": [1]}}',
        b"\xff\xfe",
    ],
)
def test_bad_frames_raise_protocol_error_only(raw: str) -> None:
    with pytest.raises(p.ProtocolError):
        p.parse_frame(raw)


def test_frame_over_the_size_limit() -> None:
    big = json.dumps({"type": "x", "pad": "a" * 2000})
    with pytest.raises(p.ProtocolError, match="over the 1000-byte limit"):
        p.parse_frame(big, max_bytes=1000)


def test_frame_size_limit_counts_utf8_bytes_not_characters() -> None:
    over = json.dumps({"type": "x", "pad": "\u20ac" * 400}, ensure_ascii=False)  # 1200+ bytes
    assert len(over) < 1000 < len(over.encode("utf-8"))
    with pytest.raises(p.ProtocolError, match="over the 1000-byte limit"):
        p.parse_frame(over, max_bytes=1000)
    under = json.dumps({"type": "x", "pad": "\u20ac" * 300}, ensure_ascii=False)  # ~920 bytes
    assert isinstance(p.parse_frame(under, max_bytes=1000), p.OtherFrame)


def test_outbound_frames_have_the_sdk_shapes() -> None:
    auth = json.loads(p.authorization_frame("USER", "dcmon"))
    assert auth["type"] == "authorization" and auth["data"] == {"token": "Bearer USER"}
    assert auth["trackingId"].startswith("dcmon_") and len(auth["id"]) == 36
    assert json.loads(p.ack_frame("m1")) == {"messageId": "m1", "type": "ack"}
    assert json.loads(p.ping_frame("x")) == {"id": "x", "type": "ping"}
    sub = json.loads(p.subscription_frame(3, "http://dc", ["transcription"], [], "dcmon"))
    assert sub["id"] == "3" and sub["type"] == "subchannelSubscriptionRequest"
    assert sub["data"] == {
        "datachannelUri": "http://dc",
        "subscribe": ["transcription"],
        "unsubscribe": [],
    }


def test_connect_url_replaces_subscription_aware_subchannels() -> None:
    url = p.connect_url(
        "ws://h/llm/k?a=1&subscriptionAwareSubchannels=old&clientTimestamp=1",
        99,
        ("transcription",),
    )
    assert url.startswith("ws://h/llm/k?a=1&")
    assert url.count("subscriptionAwareSubchannels") == 1
    assert "subscriptionAwareSubchannels=transcription" in url
    assert "clientTimestamp=99" in url and url.count("clientTimestamp") == 1
    for part in ("outboundWireFormat=text", "bufferStates=true", "aliasHttpStatus=true"):
        assert part in url


def test_registration_answer() -> None:
    r = answers.parse_registration({"webSocketUrl": "ws://h/x", "binding": "b", "extra": 1})
    assert r == answers.Registration("ws://h/x", "b")
    for bad in ({}, {"webSocketUrl": ""}, {"webSocketUrl": "http://h/x"}, [], None):
        with pytest.raises(p.ProtocolError):
            answers.parse_registration(bad)


def test_token_answer_is_only_the_token() -> None:
    # the token type is the client's decision (Meeting#getDataChannelTokenType): an answer
    # that names another type changes nothing
    a = answers.parse_token_answer({"datachannelToken": "t", "dataChannelTokenType": "other"})
    assert a == answers.TokenAnswer("t")
    for bad in ({"datachannelTokenType": "x"}, {"datachannelToken": ""}, [], None):
        with pytest.raises(p.ProtocolError, match="token answer"):
            answers.parse_token_answer(bad)


@pytest.mark.parametrize(
    ("features", "on", "note"),
    [
        ({"developer": [{"key": "data-channel-with-jwt-token", "val": "true"}]}, True, False),
        ({"developer": [{"key": "data-channel-with-jwt-token", "val": "TRUE"}]}, True, False),
        ({"developer": [{"key": "data-channel-with-jwt-token", "val": True}]}, True, False),
        ({"developer": [{"key": "data-channel-with-jwt-token", "val": "false"}]}, False, False),
        ({"developer": [{"key": "other", "val": "true"}]}, False, True),
        ({"developer": "nonsense"}, False, True),
        (None, False, True),
    ],
)
def test_device_feature_toggle_read_like_get_feature(features, on, note) -> None:  # type: ignore[no-untyped-def]
    body = {"url": "http://h/d", "webSocketUrl": "ws://h/m"}
    if features is not None:
        body["features"] = features
    answer = answers.parse_device_answer(body)
    assert answer.jwt_feature is on
    assert (answer.features_note is not None) is note


def test_fix_close_code_as_socket_base() -> None:
    assert close_codes.fix_close_code(1005, "Replaced") == 4000
    assert close_codes.fix_close_code(1005, "authentication failed") == 1008
    assert close_codes.fix_close_code(1005, "") == 1005
    assert close_codes.fix_close_code(None, "") == 1006  # no close frame: what `ws` reports


A = close_codes.CloseAction


@pytest.mark.parametrize(
    ("code", "reason", "action"),
    [
        # R4: the four cases the SDK got wrong, and the rest of the table
        (4000, "replaced", A.REPLACED),
        (4000, "Replaced", A.REPLACED),
        (4000, "something else", A.REPLACED),  # any reason (mercury.js _onclose case 4000)
        (4000, "", A.REPLACED),
        (1005, "replaced", A.REPLACED),  # _fixCloseCode
        (1005, "Authentication Failed", A.PERMANENT),  # -> 1008
        (1000, "pong not received", A.RECONNECT_NORMAL),
        (1000, "Pong Not Received", A.RECONNECT_NORMAL),
        (1003, "", A.PERMANENT),
        (1001, "", A.RECONNECT),
        (1005, "", A.RECONNECT),
        (1006, "", A.RECONNECT),
        (None, "", A.RECONNECT),
        (1011, "", A.RECONNECT),
        (1000, "idle", A.RECONNECT_NORMAL),
        (3050, "done (forced)", A.RECONNECT_NORMAL),
        (3050, "pong mismatch", A.RECONNECT_NORMAL),
        (1000, "bye", A.PERMANENT),
        (3050, "done (permanent)", A.PERMANENT),
        (4001, "", A.PERMANENT),  # on the active socket, no shutdown seen
        (4999, "", A.PERMANENT),
    ],
)
def test_close_code_table_after_online(
    code: int | None, reason: str, action: close_codes.CloseAction
) -> None:
    assert close_codes.classify_close(code, reason, online=True).action is action


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (4401, A.REFRESH_AUTH),
        (4400, A.GIVE_UP),
        (4403, A.GIVE_UP),
        (1005, A.REFRESH_DEVICE),
        (1006, A.RECONNECT),
        (4000, A.RECONNECT),
    ],
)
def test_close_code_table_during_handshake(code: int, action: close_codes.CloseAction) -> None:
    assert close_codes.classify_close(code, "", online=False).action is action


def test_4001_depends_on_which_socket() -> None:
    retired = close_codes.classify_close(4001, "", online=True, retired=True)
    assert retired.action is A.EXPECTED and not retired.action.reconnects
    failed = close_codes.classify_close(4001, "", online=True, after_shutdown=True)
    assert failed.action is A.SWITCHOVER and failed.action.reconnects  # dcmon's difference


def test_reconnecting_actions() -> None:
    assert A.RECONNECT.reconnects and A.SWITCHOVER.reconnects
    assert not A.REPLACED.reconnects and not A.PERMANENT.reconnects and not A.GIVE_UP.reconnects
