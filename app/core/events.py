"""What the core tells the world: typed events (for timelines) and immutable snapshots (for panels).

One mechanism everywhere: plain callbacks registered on a `Hub`. A listener that raises is
logged and kept; it never breaks the core. Nothing here holds a secret: tokens are masked
before they reach an event or a snapshot.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any

from app.core.locus import Phase
from app.core.tokens import TokenSlot

log = logging.getLogger("app.core")


class ChannelName(StrEnum):
    DEVICE = "device"
    DEFAULT = "default"
    PRACTICE = "practice"


class ChannelState(Enum):
    OFFLINE = "offline"
    WAITING = "waiting"  # wanted, but a prerequisite is missing (practice waits for default)
    FETCHING_TOKEN = "fetching token"
    REGISTERING = "registering"
    CONNECTING = "connecting"
    AUTHORIZING = "authorizing"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    REPLACED = "replaced"
    CLOSED = "closed"  # permanent close: stays offline until asked again
    ERROR = "error"  # gave up (e.g. 401 twice): stays offline until the next eligible moment


class EventKind(StrEnum):
    PHASE = "phase"
    ADMITTED = "admitted"
    ROLES = "roles"
    LOCUS = "locus"
    TOKEN = "token"
    HTTP = "http"
    STATE = "state"
    ONLINE = "online"
    CLOSED = "closed"
    RETRY = "retry"
    SUBSCRIBED = "subscribed"
    SUBSCRIBE_FAILED = "subscribe failed"
    RTT = "rtt"
    KEEPALIVE = "keepalive"
    TRANSCRIPT = "transcript"
    SEQ_GAP = "sequence gap"
    BAD_INPUT = "bad input"
    SWITCHOVER = "switchover"  # shutdown frame -> replacement socket (make before break)
    CAPTIONS = "captions"  # PUT controls, announce
    FEATURE = "feature"  # device feature toggle read (data-channel-with-jwt-token)
    ERROR = "error"
    COMMAND = "command"


HEARTBEAT_KINDS = frozenset({EventKind.RTT, EventKind.KEEPALIVE})


def evolve(snap: ChannelSnapshot, **changes: object) -> ChannelSnapshot:
    """`dataclasses.replace` for a channel snapshot, without its per-call introspection of
    the fields (~4x faster; the core makes one per state change and frame-count update).
    ChannelSnapshot has no __post_init__ and no init=False field, so a copy of the instance
    dict is exactly what replace would build."""
    unknown = changes.keys() - _CHANNEL_FIELDS
    if unknown:
        raise TypeError(f"ChannelSnapshot has no field {sorted(unknown)[0]!r}")
    new = object.__new__(ChannelSnapshot)
    new.__dict__.update(snap.__dict__, **changes)
    return new


@dataclass(frozen=True)
class CoreEvent:
    seq: int
    t: float  # seconds since the core started (monotonic)
    wall: float  # time.time() when it happened
    generation: int
    channel: str  # "meeting" | "token" | "device" | "default" | "practice" | "http"
    kind: EventKind
    summary: str
    data: Mapping[str, Any] = field(default_factory=dict)  # JSON-safe, never a secret

    @property
    def heartbeat(self) -> bool:
        return self.kind in HEARTBEAT_KINDS

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": round(self.t, 6),
            "wall": self.wall,
            "generation": self.generation,
            "channel": self.channel,
            "kind": self.kind.value,
            "summary": self.summary,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class CloseInfo:
    code: int  # 1006 when the socket was lost without a close frame, never None
    reason: str
    meaning: str
    action: str
    at: float


@dataclass(frozen=True)
class ChannelSnapshot:
    name: ChannelName
    state: ChannelState = ChannelState.OFFLINE
    detail: str = ""  # why it is in this state, in words
    generation: int = 0
    registration_url: str | None = None
    web_socket_url: str | None = None  # without query string
    binding: str | None = None
    online_since: float | None = None  # monotonic
    connects: int = 0  # times it reached online
    reconnects: int = 0  # times it reached online again after a drop
    attempt: int = 0  # current retry attempt (0 when online)
    next_retry_at: float | None = None  # monotonic
    last_close: CloseInfo | None = None
    subscriptions: tuple[str, ...] = ()  # what it should have
    confirmed: tuple[str, ...] = ()  # what the server confirmed on this socket
    requested: tuple[str, ...] = ()  # what this socket has asked for (the SDK awaits no answer)
    publish_transport: bool = False  # voicea's publish socket (practice when connected)
    announced: bool = False  # client.annc sent on this socket
    switchovers: int = 0  # shutdown switchovers completed
    switchover: str | None = None  # "opening replacement" while one runs
    frames_in: int = 0
    frames_out: int = 0
    last_rtt_ms: float | None = None
    register_ms: float | None = None  # clientLLMDatachannelResponseTime
    connect_ms: float | None = None  # clientLLMWebSocketConnectTime
    sequence_gaps: int = 0
    registrations: int = 0  # successful registration POSTs on this client
    last_error: str | None = None


_CHANNEL_FIELDS = frozenset(f.name for f in fields(ChannelSnapshot))


@dataclass(frozen=True)
class TokenSnapshot:
    token_type: str
    masked: str = "-"
    source: str | None = None
    fetched_at: float | None = None  # monotonic
    exp: float | None = None  # epoch seconds
    decode_error: str | None = None
    fetch_ms: float | None = None
    last_result: str = "not issued"
    last_ok: bool = True

    @classmethod
    def of(cls, kind: str, slot: TokenSlot | None, result: str, ok: bool) -> TokenSnapshot:
        if slot is None:
            return cls(kind, last_result=result, last_ok=ok)
        return cls(
            kind,
            slot.masked,
            slot.source,
            slot.fetched_at,
            slot.exp,
            slot.decode_error,
            slot.fetch_ms,
            result,
            ok,
        )

    def age(self, now: float | None = None) -> float | None:
        if self.fetched_at is None:
            return None
        return (time.monotonic() if now is None else now) - self.fetched_at

    def expires_in(self, wall_now: float | None = None) -> float | None:
        if self.exp is None:
            return None
        return self.exp - (time.time() if wall_now is None else wall_now)


@dataclass(frozen=True)
class PhaseMark:
    label: str
    t: float  # seconds since core start
    wall: float


@dataclass(frozen=True)
class MeetingSnapshot:
    server: str
    profile: str
    meeting_id: str | None = None
    generation: int = 0
    phase: Phase = Phase.NOT_JOINED
    badge: str = "Not joined"  # Not joined / Lobby / Admitted / Panelist / Practice session / Left
    roles: tuple[str, ...] = ()
    practice_enabled: bool = False
    participant_id: str | None = None
    locus_url: str | None = None
    device_url: str | None = None
    keep_alives: int = 0
    timeline: tuple[PhaseMark, ...] = ()
    tokens: Mapping[str, TokenSnapshot] = field(default_factory=dict)
    channels: Mapping[ChannelName, ChannelSnapshot] = field(default_factory=dict)
    last_error: str | None = None
    # device feature developer/data-channel-with-jwt-token (None: no device yet); off means
    # no token fetch, no token header, no subscriptionAwareSubchannels, no subscription
    jwt_feature: bool | None = None
    features_note: str | None = None  # e.g. "device answer has no features: taken as off"
    captions: str = "off"  # off / requesting / on / failed: ...
    locus_sequence: int | None = None  # newest locus sequence held
    stale_loci: int = 0  # older loci ignored

    def channel(self, name: ChannelName | str) -> ChannelSnapshot:
        return self.channels[ChannelName(name)]

    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(_jsonable(k)): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


EventListener = Callable[[CoreEvent], None]
SnapshotListener = Callable[[MeetingSnapshot], None]


class Hub:
    """Fan-out of events and snapshots to listeners (UI adapter, CLI printer, recorders)."""

    def __init__(self) -> None:
        self._event_listeners: list[EventListener] = []
        self._snapshot_listeners: list[SnapshotListener] = []

    def on_event(self, listener: EventListener) -> Callable[[], None]:
        self._event_listeners.append(listener)
        return lambda: _remove(self._event_listeners, listener)

    def on_snapshot(self, listener: SnapshotListener) -> Callable[[], None]:
        self._snapshot_listeners.append(listener)
        return lambda: _remove(self._snapshot_listeners, listener)

    def emit(self, event: CoreEvent) -> None:
        for listener in list(self._event_listeners):
            _call(listener, event)

    @property
    def wants_snapshots(self) -> bool:
        """Anyone listening for snapshots (a headless run often has nobody: none is built)."""
        return bool(self._snapshot_listeners)

    def publish(self, snapshot: MeetingSnapshot) -> None:
        for listener in list(self._snapshot_listeners):
            _call(listener, snapshot)


def _remove(items: list[Any], item: Any) -> None:
    if item in items:
        items.remove(item)


def _call(listener: Callable[[Any], None], arg: Any) -> None:
    try:
        listener(arg)
    except Exception:  # a broken listener must not break the core
        log.exception("listener %r failed", listener)
