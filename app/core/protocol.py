"""Frames in and out, parsed into typed messages, and the close-code table. No I/O here.

Everything that reads network input raises `ProtocolError` (and nothing else) on bad input,
so the I/O layer can report it and carry on.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class ProtocolError(ValueError):
    """Input from the network that does not follow PROTOCOL.md."""


ONLINE_EVENT_TYPES = frozenset({"mercury.buffer_state", "mercury.registration_status"})
SUBSCRIPTION_AWARE = "subscriptionAwareSubchannels"


# ---- inbound frames -------------------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Any inbound frame. `id` is set when the server wants an ack."""

    id: str | None
    sequence_number: int | None


@dataclass(frozen=True)
class OnlineFrame(Frame):
    event_type: str


@dataclass(frozen=True)
class Pong(Frame):
    pass


@dataclass(frozen=True)
class SubscriptionResponse(Frame):
    subscribed: tuple[str, ...]
    unsubscribed: tuple[str, ...]


@dataclass(frozen=True)
class Relay(Frame):
    relay_type: str
    sender: str | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class LocusDelta(Frame):
    locus: dict[str, Any]


@dataclass(frozen=True)
class Shutdown(Frame):
    """The server will close this socket soon: open a replacement (make before break)."""


@dataclass(frozen=True)
class OtherFrame(Frame):
    """A well-formed frame we do not act on (unknown type or event); still acked."""

    type: str | None
    event_type: str | None


@dataclass(frozen=True)
class Transcript:
    final: bool
    transcript_id: str | None
    text: str
    language: str | None


def loads(raw: str | bytes, what: str) -> Any:
    """json.loads for network input: every failure is a ProtocolError (nesting too deep
    raises RecursionError in the json module, which a server must not be able to provoke)."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed JSON {what}: {str(exc)[:120]}") from None
    except RecursionError:
        raise ProtocolError(f"malformed JSON {what}: nested too deeply") from None


def parse_frame(raw: str | bytes, max_bytes: int = 1 << 20) -> Frame:
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "replace"))
    if size > max_bytes:
        raise ProtocolError(f"frame of {size} bytes is over the {max_bytes}-byte limit")
    obj = loads(raw, "frame")
    if not isinstance(obj, dict):
        raise ProtocolError(f"frame is a JSON {type(obj).__name__}, not an object")
    fid = obj.get("id")
    fid = str(fid) if isinstance(fid, (str, int)) and not isinstance(fid, bool) else None
    seq = obj.get("sequenceNumber")
    seq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
    ftype = obj.get("type")
    if ftype is not None and not isinstance(ftype, str):
        raise ProtocolError("frame 'type' is not a string")
    data = obj.get("data")
    if data is not None and not isinstance(data, dict):
        raise ProtocolError("frame 'data' is not an object")
    data = data or {}

    if ftype == "pong":
        return Pong(fid, seq)
    if ftype == "shutdown":
        return Shutdown(fid, seq)
    if ftype == "subchannelSubscriptionResponse":
        return SubscriptionResponse(
            fid, seq, _str_tuple(data.get("subscribed")), _str_tuple(data.get("unsubscribed"))
        )
    event_type = data.get("eventType")
    event_type = event_type if isinstance(event_type, str) else None
    if ftype is None and event_type in ONLINE_EVENT_TYPES:
        return OnlineFrame(fid, seq, event_type)
    if event_type == "relay.event":
        relay_type = data.get("relayType")
        payload = data.get("voiceaPayload", data.get("relayPayload", {}))
        if not isinstance(relay_type, str) or not isinstance(payload, dict):
            raise ProtocolError("relay.event without a relayType string and object payload")
        headers = obj.get("headers") if isinstance(obj.get("headers"), dict) else {}
        sender = headers.get("from") if isinstance(headers.get("from"), str) else None
        return Relay(fid, seq, relay_type, sender, payload)
    if event_type == "locus.difference":
        locus = data.get("locus")
        if not isinstance(locus, dict):
            raise ProtocolError("locus.difference without a locus object")
        return LocusDelta(fid, seq, locus)
    return OtherFrame(fid, seq, ftype, event_type)


def parse_transcript(relay: Relay) -> Transcript | None:
    """The text of a voicea transcription relay, or None for other relays."""
    if relay.relay_type != "voicea.transcription":
        return None
    p = relay.payload
    parts = p.get("transcripts")
    if not isinstance(parts, list):
        raise ProtocolError("transcription relay without a transcripts list")
    texts = [t.get("text") for t in parts if isinstance(t, dict)]
    text = " ".join(t for t in texts if isinstance(t, str))
    lang = next((t.get("transcript_language_code") for t in parts if isinstance(t, dict)), None)
    tid = p.get("transcript_id")
    return Transcript(
        final=p.get("type") == "transcript_final_result",
        transcript_id=str(tid) if tid is not None else None,
        text=text,
        language=lang if isinstance(lang, str) else None,
    )


def _str_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProtocolError("expected a list of strings")
    return tuple(value)


# ---- outbound frames ------------------------------------------------------------------------


def new_id() -> str:
    return str(uuid.uuid4())


def tracking_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4()}"


def authorization_frame(user_token: str, prefix: str) -> str:
    return json.dumps(
        {
            "id": new_id(),
            "type": "authorization",
            "data": {"token": f"Bearer {user_token}"},
            "trackingId": tracking_id(prefix),
        }
    )


def ack_frame(message_id: str) -> str:
    return json.dumps({"messageId": message_id, "type": "ack"})


def ping_frame(ping_id: str) -> str:
    return json.dumps({"id": ping_id, "type": "ping"})


def subscription_frame(
    seq: int, datachannel_uri: str, subscribe: list[str], unsubscribe: list[str], prefix: str
) -> str:
    return json.dumps(
        {
            "id": str(seq),
            "type": "subchannelSubscriptionRequest",
            "data": {
                "datachannelUri": datachannel_uri,
                "subscribe": subscribe,
                "unsubscribe": unsubscribe,
            },
            "trackingId": tracking_id(prefix),
        }
    )


def announce_frame(seq: int, binding: str, prefix: str) -> str:
    """voicea's client announcement (SDK: voicea.ts sendAnnouncement), on the publish socket."""
    return json.dumps(
        {
            "id": str(seq),
            "type": "publishRequest",
            "recipients": {"route": binding},
            "headers": {},
            "data": {
                "clientPayload": {"version": "v2"},
                "eventType": "relay.event",
                "relayType": "client.annc",
            },
            "trackingId": tracking_id(prefix),
        }
    )


def connect_url(web_socket_url: str, client_ms: int, subchannels: tuple[str, ...]) -> str:
    """The socket URL with the SDK's query; `subscriptionAwareSubchannels` replaced, not added."""
    parts = urlsplit(web_socket_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    fixed = {
        "outboundWireFormat": "text",
        "bufferStates": "true",
        "aliasHttpStatus": "true",
        "clientTimestamp": str(client_ms),
    }
    query = [(k, v) for k, v in query if k not in fixed and k != SUBSCRIPTION_AWARE]
    query += list(fixed.items())
    if subchannels:
        query.append((SUBSCRIPTION_AWARE, ",".join(subchannels)))
    return urlunsplit(parts._replace(query=urlencode(query)))


# ---- HTTP answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    web_socket_url: str
    binding: str | None


def parse_registration(body: Any) -> Registration:
    if not isinstance(body, dict):
        raise ProtocolError("registration answer is not a JSON object")
    url = body.get("webSocketUrl")
    if not isinstance(url, str) or not url:
        raise ProtocolError("registration answer has no webSocketUrl")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError:
        raise ProtocolError("registration webSocketUrl is not a valid URL") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ProtocolError("registration webSocketUrl is not a ws:// or wss:// URL")
    binding = body.get("binding")
    return Registration(url, binding if isinstance(binding, str) else None)


@dataclass(frozen=True)
class TokenAnswer:
    token: str = field(repr=False)  # a secret: never in a repr


def parse_token_answer(body: Any) -> TokenAnswer:
    """`{datachannelToken}`; the token type is the client's (SDK: getDataChannelTokenType)."""
    if not isinstance(body, dict):
        raise ProtocolError("token answer is not a JSON object")
    token = body.get("datachannelToken")
    if not isinstance(token, str) or not token:
        raise ProtocolError("token answer has no datachannelToken")
    return TokenAnswer(token)


JWT_FEATURE = "data-channel-with-jwt-token"


@dataclass(frozen=True)
class DeviceAnswer:
    url: str
    web_socket_url: str
    jwt_feature: bool  # developer feature data-channel-with-jwt-token
    features_note: str | None = None  # why the toggle was taken as off, if it was absent


def feature_on(features: Any, key: str, kind: str = "developer") -> bool | None:
    """The SDK's getFeature: a `{key, val}` entry; val "true" (any case) or true is on.
    None when the entry is absent (the SDK then answers null: off)."""
    if not isinstance(features, dict):
        return None
    entries = features.get(kind)
    if not isinstance(entries, list):
        return None
    for entry in entries:
        if isinstance(entry, dict) and entry.get("key") == key:
            val = entry.get("val", entry.get("value"))
            return val is True or (isinstance(val, str) and val.strip().lower() == "true")
    return None


def parse_device_answer(body: Any) -> DeviceAnswer:
    if not isinstance(body, dict):
        raise ProtocolError("device answer is not a JSON object")
    url, ws = body.get("url"), body.get("webSocketUrl")
    if not isinstance(url, str) or not isinstance(ws, str) or not url or not ws:
        raise ProtocolError("device answer needs url and webSocketUrl")
    features = body.get("features")
    on = feature_on(features, JWT_FEATURE)
    note = None
    if features is None:
        note = f"device answer has no features: {JWT_FEATURE} taken as off (as the SDK)"
    elif on is None:
        note = f"device features have no {JWT_FEATURE} entry: taken as off (as the SDK)"
    return DeviceAnswer(url, ws, bool(on), note)


@dataclass(frozen=True)
class MeetingInfo:
    locus_url: str | None
    sip_url: str | None
    meeting_number: str | None


def parse_meeting_info(body: Any) -> MeetingInfo:
    if not isinstance(body, dict):
        raise ProtocolError("meetingInfo answer is not a JSON object")

    def text(key: str) -> str | None:
        value = body.get(key)
        return str(value) if isinstance(value, (str, int)) and value != "" else None

    return MeetingInfo(text("locusUrl"), text("sipUrl"), text("meetingNumber"))


# ---- close codes ----------------------------------------------------------------------------


class CloseAction(Enum):
    RECONNECT = "reconnect"  # transient: backoff
    RECONNECT_NORMAL = "reconnect (normal)"
    SWITCHOVER = "reconnect (after a failed switchover)"
    EXPECTED = "nothing (old socket of a switchover)"
    REPLACED = "stay offline (replaced)"
    PERMANENT = "stay offline (permanent)"
    REFRESH_AUTH = "refresh user auth, retry"
    REFRESH_DEVICE = "refresh device, retry"
    GIVE_UP = "give up"

    @property
    def reconnects(self) -> bool:
        return self in RECONNECTING_ACTIONS


RECONNECTING_ACTIONS = frozenset(
    {
        CloseAction.RECONNECT,
        CloseAction.RECONNECT_NORMAL,
        CloseAction.SWITCHOVER,
        CloseAction.REFRESH_AUTH,
        CloseAction.REFRESH_DEVICE,
    }
)

TRANSIENT_CODES = frozenset({1001, 1005, 1006, 1011})
NORMAL_RECONNECT_REASONS = frozenset(
    {"idle", "done (forced)", "pong not received", "pong mismatch"}
)


@dataclass(frozen=True)
class CloseDecision:
    action: CloseAction
    meaning: str = field(default="")


NO_CLOSE_FRAME = 1006  # what the `ws` package (and so the SDK) reports without a close frame


def fix_close_code(code: int | None, reason: str | None) -> int:
    """socket-base.js `_fixCloseCode`: 1005 `replaced` is 4000, `authentication failed` is
    1008; no close frame at all is 1006."""
    if code is None:
        return NO_CLOSE_FRAME
    if code == 1005 and reason:
        r = reason.strip().lower()
        if r == "replaced":
            return 4000
        if r in (
            "authentication failed",
            "authentication did not happen within the timeout window of 30000 seconds.",
        ):
            return 1008
    return code


def classify_close(
    code: int | None,
    reason: str | None,
    online: bool,
    *,
    retired: bool = False,
    after_shutdown: bool = False,
) -> CloseDecision:
    """PROTOCOL.md section 4 (mercury.js `_onclose`): what a close means.

    `retired`: the socket had been replaced by a shutdown switchover (not the active one).
    `after_shutdown`: the active socket had received `shutdown` and its replacement failed.
    """
    reason_l = (reason or "").strip().lower()
    code = fix_close_code(code, reason)
    if retired:
        if code == 4001:
            return CloseDecision(CloseAction.EXPECTED, "old socket closed after the switchover")
        return CloseDecision(CloseAction.EXPECTED, f"old socket closed ({code}) after switchover")
    if not online:
        if code == 4401:
            return CloseDecision(CloseAction.REFRESH_AUTH, "handshake: user auth refused")
        if code in (4400, 4403):
            return CloseDecision(CloseAction.GIVE_UP, f"handshake: refused ({code})")
        if code == 1005:
            return CloseDecision(CloseAction.REFRESH_DEVICE, "handshake: no status, refresh device")
        return CloseDecision(CloseAction.RECONNECT, "handshake failed, retry with backoff")
    if code in TRANSIENT_CODES:
        return CloseDecision(CloseAction.RECONNECT, "transient")
    if code in (1000, 3050) and reason_l in NORMAL_RECONNECT_REASONS:
        return CloseDecision(CloseAction.RECONNECT_NORMAL, f"normal reconnect ({reason_l})")
    if code == 4000:  # any reason (mercury.js _onclose `case 4000`)
        return CloseDecision(CloseAction.REPLACED, "replaced by another connection")
    if code == 4001:
        if after_shutdown:  # dcmon: the server asked it to move, not to stop (SDK: permanent)
            return CloseDecision(CloseAction.SWITCHOVER, "4001 after a failed switchover")
        return CloseDecision(CloseAction.PERMANENT, "4001 on the active socket (permanent)")
    return CloseDecision(CloseAction.PERMANENT, "permanent")


# The client's own close of a data channel it no longer wants.
CLIENT_DONE = (3050, "done (permanent)")
