"""Pure meeting state of the simulator (no I/O, no asyncio).

Holds meetings, participants, devices, issued tokens, webSocketUrl keys and live socket
records; `views.py` renders them. Every mutation calls `touch()`, which the runtime turns
into a wake-up for `wait_for`.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TOKEN_TYPES = {"default": "llm-default-session", "practice": "llm-practice-session"}
CHANNEL_OF_TOKEN_TYPE = {v: k for k, v in TOKEN_TYPES.items()}
DC_CHANNELS = ("default", "practice")
ALL_CHANNELS = ("device", "default", "practice")
ROLE_TYPES = ("ATTENDEE", "PANELIST", "COHOST", "MODERATOR")
DEFAULT_KEEP_ALIVE_SECS = 20
DEFAULT_TOKEN_TTL_SECS = 3600


class SimError(Exception):
    """An answer other than success: HTTP status plus a readable message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Phase(StrEnum):
    LOBBY = "lobby"
    JOINED = "joined"
    LEFT = "left"


@dataclass
class Device:
    id: str
    name: str
    url: str
    ws_url: str


@dataclass
class IssuedToken:
    jti: str
    token_type: str
    meeting_id: str
    participant_id: str
    iat: int
    exp: int
    revoked: bool = False
    expired: bool = False  # set by /sim/ "expire": fails from now on, whatever exp says

    def failure(self, now: float) -> str | None:
        if self.revoked:
            return "token revoked"
        if self.expired:
            return "token expired (by the simulator)"
        if self.exp <= now:
            return "token past its exp"
        return None

    def view(self) -> dict[str, Any]:
        return {
            "tokenType": self.token_type,
            "exp": self.exp,
            "iat": self.iat,
            "revoked": self.revoked,
            "expired": self.expired,
            "jti": self.jti,
        }


@dataclass
class WsKey:
    """One issued webSocketUrl: valid until rotation, leave or loss of the right."""

    key: str
    meeting_id: str
    participant_id: str
    channel: str
    datachannel_url: str
    binding: str


@dataclass
class SocketRecord:
    id: str
    channel: str  # device / default / practice
    client_port: int | None  # the proxy's upstream port: how /sim/sockets finds the TCP link
    device_id: str | None = None
    meeting_id: str | None = None
    participant_id: str | None = None
    binding: str | None = None
    subscriptions: list[str] = field(default_factory=list)
    frames_in: int = 0
    frames_out: int = 0
    acks: int = 0
    state: str = "open"  # open / halfopen
    latency_ms: int = 0
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "subscriptions": list(self.subscriptions),
            "framesIn": self.frames_in,
            "framesOut": self.frames_out,
            "acks": self.acks,
            "binding": self.binding,
            "latencyMs": self.latency_ms,
            "clientPort": self.client_port,
        }


@dataclass
class Participant:
    id: str
    meeting_id: str
    display_name: str
    device_url: str
    user_token: str = field(repr=False)  # a secret: never in a repr
    phase: Phase
    roles: list[str]
    keep_alives: int = 0
    left_reason: str | None = None
    registrations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ALL_CHANNELS, 0))
    # every registration POST (successful or not) made with this participant's token, and
    # every socket upgrade to one of its webSocketUrls (accepted or refused): chaos checks
    # that nothing of a left meeting generation is used again
    registration_attempts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(ALL_CHANNELS, 0)
    )
    socket_attempts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ALL_CHANNELS, 0))
    # the two counts above when the participant itself asked to leave: nothing may follow
    attempts_at_leave: dict[str, dict[str, int]] | None = None

    @property
    def panelist(self) -> bool:
        return "PANELIST" in self.roles


@dataclass
class Meeting:
    id: str
    locus_url: str
    lobby: bool
    webinar: bool
    keep_alive_secs: int = DEFAULT_KEEP_ALIVE_SECS
    token_ttl_secs: int = DEFAULT_TOKEN_TTL_SECS
    practice_enabled: bool = False
    ended: bool = False
    transcription_per_second: float = 0.0
    rotations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DC_CHANNELS, 0))
    participants: dict[str, Participant] = field(default_factory=dict)

    def datachannel_url(self, channel: str, base_url: str) -> str:
        target = self.locus_url if channel == "default" else self.locus_url + "/practiceSession"
        encoded = base64.urlsafe_b64encode(target.encode()).rstrip(b"=").decode("ascii")
        rotation = self.rotations[channel]
        # A rotation must change the URL; keep the realistic shape otherwise.
        suffix = f"/r{rotation}" if rotation else ""
        return f"{base_url}/datachannel/api/v1/locus/{encoded}{suffix}/registrations"

    def by_device(self, device_url: str) -> Participant | None:
        for p in reversed(self.participants.values()):
            if p.device_url == device_url and p.phase != Phase.LEFT:
                return p
        return None

    def entitlement_error(self, p: Participant, channel: str) -> str | None:
        """Why `p` may not use a data channel right now, or None."""
        if self.ended:
            return "the meeting has ended"
        if p.phase != Phase.JOINED:
            return f"participant is not admitted (phase {p.phase})"
        if channel == "practice":
            if not self.practice_enabled:
                return "no practice session is running"
            if not p.panelist:
                return "participant is not a panelist"
        return None


class SimModel:
    """All state of one simulator. Methods mutate and call touch(); nothing here awaits."""

    def __init__(self, base_url: str, on_change: Callable[[], None] | None = None) -> None:
        self.base_url = base_url
        self.on_change = on_change
        self.meetings: dict[str, Meeting] = {}
        self.devices: dict[str, Device] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.ws_keys: dict[str, WsKey] = {}
        self.dc_urls: dict[str, tuple[str, str, int]] = {}  # every URL ever issued
        self.sockets: dict[str, SocketRecord] = {}
        self.key_history: dict[str, WsKey] = {}  # every key ever issued (attempt accounting)
        # registration POSTs in flight per (device URL, channel), and the most that were ever
        # answered with overlapping lifetimes: a client must never have two at once for one
        # channel. Requests the client abandoned (it went away before the answer) do not
        # count: their answer reaches nobody.
        self.registering: dict[tuple[str, str], dict[int, float]] = {}
        self.max_registering: dict[tuple[str, str], int] = {}
        self._answered: dict[tuple[str, str], list[tuple[float, float]]] = {}
        self._ticket = 0

    def registration_started(self, device_url: str, channel: str) -> tuple[str, str, int]:
        self._ticket += 1
        self.registering.setdefault((device_url, channel), {})[self._ticket] = time.monotonic()
        return (device_url, channel, self._ticket)

    def registration_ended(self, ticket: tuple[str, str, int], answered: bool) -> None:
        device_url, channel, number = ticket
        key = (device_url, channel)
        live = self.registering.get(key, {})
        start = live.pop(number, None)
        if not live:
            self.registering.pop(key, None)
        if start is not None and answered:
            end = time.monotonic()
            done = self._answered.setdefault(key, [])
            overlapping = 1 + sum(1 for s, e in done if s < end and e > start)
            self.max_registering[key] = max(overlapping, self.max_registering.get(key, 0))
            done.append((start, end))
            del done[:-16]
        self.touch()

    @property
    def ws_base(self) -> str:
        return "ws" + self.base_url.removeprefix("http")

    def touch(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- meetings, devices, participants --------------------------------------------------

    def meeting(self, meeting_id: str, *, live: bool = False) -> Meeting:
        m = self.meetings.get(meeting_id)
        if m is None:
            raise SimError(404, f"unknown meeting {meeting_id!r}")
        if live and m.ended:
            raise SimError(404, f"meeting {meeting_id!r} has ended")
        return m

    def participant(self, m: Meeting, participant_id: str) -> Participant:
        p = m.participants.get(participant_id)
        if p is None:
            raise SimError(404, f"unknown participant {participant_id!r} in meeting {m.id!r}")
        return p

    def create_meeting(
        self,
        meeting_id: str | None,
        lobby: bool,
        webinar: bool,
        keep_alive_secs: int | None,
        token_ttl_secs: int | None,
    ) -> tuple[Meeting, bool]:
        mid = meeting_id or f"m-{secrets.token_hex(4)}"
        existing = self.meetings.get(mid)
        if existing is not None and not existing.ended:
            return existing, False  # safe to repeat
        meeting = Meeting(
            id=mid,
            locus_url=f"{self.base_url}/locus/api/v1/loci/{mid}",
            lobby=lobby,
            webinar=webinar,
            keep_alive_secs=keep_alive_secs or DEFAULT_KEEP_ALIVE_SECS,
            token_ttl_secs=token_ttl_secs or DEFAULT_TOKEN_TTL_SECS,
        )
        self.meetings[mid] = meeting
        self._remember_urls(meeting)
        self.touch()
        return meeting, True

    def _remember_urls(self, m: Meeting) -> None:
        for channel in DC_CHANNELS:
            url = m.datachannel_url(channel, self.base_url)
            self.dc_urls[url] = (m.id, channel, m.rotations[channel])

    def add_device(self, name: str) -> Device:
        device_id = uuid.uuid4().hex
        device = Device(
            id=device_id,
            name=name,
            url=f"{self.base_url}/wdm/api/v1/devices/{device_id}",
            ws_url=f"{self.ws_base}/mercury/{device_id}",
        )
        self.devices[device_id] = device
        self.touch()
        return device

    def device_by_url(self, url: str) -> Device | None:
        for device in self.devices.values():
            if device.url == url:
                return device
        return None

    def join(
        self, m: Meeting, device_url: str, display_name: str, role: str, user_token: str
    ) -> tuple[Participant, Participant | None]:
        """New participant; a previous live one on the same device is replaced (left)."""
        replaced = m.by_device(device_url)
        if replaced is not None:
            self.set_phase(replaced, Phase.LEFT, "replaced by a new join from the same device")
        p = Participant(
            id=str(uuid.uuid4()),
            meeting_id=m.id,
            display_name=display_name,
            device_url=device_url,
            user_token=user_token,
            phase=Phase.LOBBY if m.lobby else Phase.JOINED,
            roles=[role],
        )
        m.participants[p.id] = p
        self.touch()
        return p, replaced

    def set_phase(self, p: Participant, phase: Phase, reason: str | None = None) -> None:
        if phase != Phase.JOINED:
            self.drop_keys(p.meeting_id, p.id)
        p.phase = phase
        if phase == Phase.LEFT:
            p.left_reason = reason
        self.touch()

    def set_roles(self, p: Participant, roles: list[str]) -> bool:
        """Returns True when the participant lost the panelist role."""
        was_panelist = p.panelist
        p.roles = list(roles)
        demoted = was_panelist and not p.panelist
        if demoted:
            self.drop_keys(p.meeting_id, p.id, "practice")
        self.touch()
        return demoted

    def set_practice(self, m: Meeting, enabled: bool) -> bool:
        changed = m.practice_enabled != enabled
        m.practice_enabled = enabled
        if not enabled:
            self.drop_keys(m.id, None, "practice")
        self.touch()
        return changed

    def rotate(self, m: Meeting, channel: str) -> str:
        m.rotations[channel] += 1
        self._remember_urls(m)
        self.drop_keys(m.id, None, channel)
        self.touch()
        return m.datachannel_url(channel, self.base_url)

    def end_meeting(self, m: Meeting) -> list[Participant]:
        affected = [p for p in m.participants.values() if p.phase != Phase.LEFT]
        for p in affected:
            self.set_phase(p, Phase.LEFT, "meeting ended")
        m.ended = True
        m.practice_enabled = False
        m.transcription_per_second = 0.0
        self.touch()
        return affected

    # -- tokens and webSocketUrl keys -----------------------------------------------------

    def record_token(self, token: IssuedToken) -> None:
        self.tokens[token.jti] = token
        self.touch()

    def mark_tokens(self, m: Meeting, action: str, token_type: str | None) -> int:
        count = 0
        for token in self.tokens.values():
            if token.meeting_id != m.id or (token_type and token.token_type != token_type):
                continue
            if action == "revoke":
                token.revoked = True
            else:
                token.expired = True
            count += 1
        self.touch()
        return count

    def add_key(self, m: Meeting, p: Participant, channel: str, dc_url: str) -> WsKey:
        key = WsKey(
            key=secrets.token_urlsafe(18),
            meeting_id=m.id,
            participant_id=p.id,
            channel=channel,
            datachannel_url=dc_url,
            binding=secrets.token_hex(8),
        )
        self.ws_keys[key.key] = key
        self.key_history[key.key] = key
        p.registrations[channel] += 1
        self.touch()
        return key

    def drop_keys(self, meeting_id: str, participant_id: str | None, channel: str | None = None):
        for key in list(self.ws_keys.values()):
            if key.meeting_id != meeting_id:
                continue
            if participant_id is not None and key.participant_id != participant_id:
                continue
            if channel is not None and key.channel != channel:
                continue
            del self.ws_keys[key.key]

    # -- live sockets ---------------------------------------------------------------------

    def add_socket(self, record: SocketRecord) -> None:
        self.sockets[record.id] = record
        self.touch()

    def remove_socket(self, socket_id: str) -> bool:
        removed = self.sockets.pop(socket_id, None) is not None
        if removed:
            self.touch()
        return removed

    def participant_sockets(self, p: Participant, channel: str) -> list[SocketRecord]:
        if channel == "device":
            device = self.device_by_url(p.device_url)
            if device is None:
                return []
            return [s for s in self.sockets.values() if s.device_id == device.id]
        return [
            s
            for s in self.sockets.values()
            if s.participant_id == p.id and s.channel == channel and s.meeting_id == p.meeting_id
        ]

    def device_sockets(self, device_id: str) -> list[SocketRecord]:
        return [s for s in self.sockets.values() if s.device_id == device_id]
