"""What the SDK translator keeps between driver lines, and the pure helpers its handlers share:
channel names, token types, mercury's close decisions, the classification of SDK requests."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    PhaseMark,
    TokenSnapshot,
)
from app.core.locus import Phase

DEFAULT_TOKEN = "llm-default-session"
PRACTICE_TOKEN = "llm-practice-session"
TOKEN_OF_CHANNEL = {"default": DEFAULT_TOKEN, "practice": PRACTICE_TOKEN}
TOKEN_SOURCES = {"join": "join response", "fetch": "fetched", "header": "header"}

# mercury's offline.* -> (what it does, the state it leaves the card in)
_SDK_DECISIONS = {
    "transient": ("reconnect", ChannelState.RECONNECTING),
    "permanent": ("stay offline (permanent)", ChannelState.CLOSED),
    "replaced": ("stay offline (replaced)", ChannelState.REPLACED),
}

_PARTICIPANT_URL = re.compile(r"/loci/([^/?#]+)/participant/([^/?#]+)")


@dataclass
class _Channel:
    snap: ChannelSnapshot
    opening_t: float | None = None  # driver ms of the last socket.opening
    online_once: bool = False  # reached online in this generation (next online = reconnect)
    sid: str | None = None  # the driver's id of the socket now serving this channel
    switching: bool = False  # a shutdown switchover is opening a replacement
    retired: set[str] = field(default_factory=set)  # sids replaced by a switchover


@dataclass
class _State:
    server: str
    generation: int = 0
    meeting_id: str | None = None
    phase: Phase = Phase.NOT_JOINED
    joining: bool = False
    left: bool = False
    roles: tuple[str, ...] = ()
    practice: bool = False
    participant_id: str | None = None
    locus_url: str | None = None
    device_url: str | None = None
    keep_alives: int = 0
    timeline: list[PhaseMark] = field(default_factory=list)
    tokens: dict[str, TokenSnapshot] = field(default_factory=dict)
    channels: dict[ChannelName, _Channel] = field(default_factory=dict)
    last_error: str | None = None
    jwt_feature: bool | None = None
    captions: str = "off"
    sdk_version: str | None = None
    sdk_dir: str | None = None
    node: str | None = None
    exited: int | None = None


def _channel(d: Mapping[str, Any]) -> ChannelName | None:
    try:
        return ChannelName(str(d.get("channel")))
    except ValueError:
        return None


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def classify_http(
    method: str, url: str, d: Mapping[str, Any] | None = None
) -> tuple[str, str | None]:
    """(what, data channel) of one SDK request, by its URL (the driver may also say)."""
    d = d or {}
    given_what, given_channel = _str(d.get("what")), _str(d.get("channel"))
    path = urlsplit(url).path.rstrip("/")
    if given_what:
        return given_what, given_channel
    if path.endswith("/datachannel/token") or path.endswith("/practiceSessionDatachannel/token"):
        return "token", "practice" if "practice" in path.lower() else "default"
    if "/datachannel" in path and method == "POST":
        return "register", given_channel or _dc_channel(path)
    if path.endswith("/leave"):
        return "leave", None
    if path.lower().endswith("/keepalive"):
        return "keepalive", None
    if path.endswith("/devices") and method == "POST":
        return "device", None
    if "/devices/" in path and method == "DELETE":
        return "device unregister", None
    if method == "POST" and (path.endswith("/loci/call") or path.endswith("/participant")):
        return "join", None
    if path.endswith("/controls") and method == "PUT":
        return "captions", None
    if path.endswith("/meetingInfo"):
        return "meeting info", None
    if "/catalog" in path:
        return "catalog", None
    if "/loci/" in path and method == "GET":
        return "resync", None
    segments = [p for p in path.split("/") if p]
    return (segments[0] if segments else "http"), None


def _dc_channel(path: str) -> str:
    """default or practice, from a datachannel URL: plain, or (the simulator's shape) with
    the locus URL base64-encoded in one segment."""
    if "practice" in path.lower():
        return "practice"
    for segment in path.split("/"):
        if len(segment) < 16:
            continue
        try:
            text = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            continue
        if "practice" in text.lower():
            return "practice"
    return "default"
