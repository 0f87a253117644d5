"""Socket frames in and out, parsed into typed messages. No I/O here.

Everything that reads network input raises `ProtocolError` (and nothing else) on bad input,
so the I/O layer can report it and carry on. The HTTP answers are in `answers.py`, the
close-code table in `close_codes.py`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.core.protocol_error import ProtocolError

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
    # perf: text is encoded to count its bytes only when it could be over (<= 4 a character)
    if isinstance(raw, bytes) or len(raw) * 4 > max_bytes:
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
