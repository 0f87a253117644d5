"""Value records of the simulator's state: meetings, participants, devices, tokens, keys and
live socket records. Pure data with small derived properties; `model.py` mutates them."""

from __future__ import annotations

import base64
import hashlib
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


FIRST_SEQUENCE = 1000  # a locus sequence entry; the SDK compares them (locus-info/parser.ts)
JWT_FEATURE = "data-channel-with-jwt-token"


def meeting_number(meeting_id: str) -> str:
    """A stable ten-digit meeting number (a digit-only id is its own number): the SDK's
    `create` takes a plain digit string as a SIP destination (SDK_FLOW.md)."""
    if meeting_id.isdigit():
        return meeting_id
    digest = int(hashlib.sha256(meeting_id.encode()).hexdigest()[:12], 16)
    return str(2_000_000_000 + digest % 1_000_000_000)


@dataclass
class Device:
    id: str
    name: str
    url: str
    ws_url: str
    device_type: str = "WEB"
    # the `data-channel-with-jwt-token` feature as last answered to this device (at
    # registration or refresh): the toggle belongs to a device registration
    jwt_feature: bool = True
    refreshes: int = 0
    deleted: bool = False


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
    draining: bool = False  # sent `shutdown`: closes with 4001 once replaced (or on time)
    # opened with `multipleConnections=true` (mercury.js, ephemeral devices): it does not
    # replace the owner's other sockets with 4000
    multiple: bool = False
    # `subscriptionAwareSubchannels` of its URL (llm.ts, JWT feature on): those subchannels
    # flow only once subscribed; any other (all, on a socket that declared none) flows as is
    aware: tuple[str, ...] = ()

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
            "draining": self.draining,
            "subscriptionAware": list(self.aware),
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
    correlation_id: str | None = None  # the join's, echoed in self.devices[] as the SDK sent it
    device_type: str = "WEB"
    # the (sequence, baseSequence) of the last locus rendered for this participant: the next
    # one follows it, and the same change renders the same pair for a push and an answer
    sent: tuple[int, int] | None = None

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
    captions: bool = False  # locus controls.transcribe.caption (PUT controls, host console)
    sequence: int = FIRST_SEQUENCE  # grows with each change of the meeting's locus
    number: str = ""  # meeting number (meetingInfo, /loci/call `wbxmn:`)
    join_role: str = "ATTENDEE"  # the role of a join whose body names none (the SDK's)
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
