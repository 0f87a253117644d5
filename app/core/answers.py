"""HTTP answers of the backend (registration, token, device, meetingInfo), parsed into typed
values; bad input raises ProtocolError. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.core.protocol_error import ProtocolError


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
