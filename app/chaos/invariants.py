"""Invariant checks: pure functions over the core's snapshot, the simulator's state view
(`GET /sim/meetings/{id}`) and recorded events. Each returns a list of `Violation`s.

Two families:
- *always* (safety): must hold at every moment, racing or not;
- *settled* (agreement): must hold once nothing is in flight any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from app.core.events import ChannelName, ChannelState, CoreEvent, EventKind, MeetingSnapshot
from app.core.locus import Phase

TRANSITIONAL = frozenset(
    {
        ChannelState.FETCHING_TOKEN,
        ChannelState.REGISTERING,
        ChannelState.CONNECTING,
        ChannelState.AUTHORIZING,
        ChannelState.RECONNECTING,
    }
)
# stays offline until something changes: a permanent close, "replaced", or gave up
HALTED = frozenset({ChannelState.CLOSED, ChannelState.REPLACED, ChannelState.ERROR})
DATA = (ChannelName.DEFAULT, ChannelName.PRACTICE)


@dataclass(frozen=True)
class Violation:
    kind: str  # stable identifier, e.g. "settled.phase"; shrinking keeps the same kind
    message: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.message}"


# ---- helpers over the simulator's state view -------------------------------------------


def participants_of(view: Mapping[str, Any] | None, device_url: str | None) -> list[dict]:
    if view is None or device_url is None:
        return []
    return [p for p in view.get("participants", []) if p.get("deviceUrl") == device_url]


def find(view: Mapping[str, Any] | None, participant_id: str | None) -> dict | None:
    if view is None or participant_id is None:
        return None
    return next(
        (p for p in view.get("participants", []) if p.get("participantId") == participant_id),
        None,
    )


def sockets(p: Mapping[str, Any] | None, channel: str) -> list[dict]:
    if p is None:
        return []
    return list(p["channels"][channel]["sockets"])


# ---- always ------------------------------------------------------------------------------


def check_always(views: Iterable[Mapping[str, Any]], device_url: str | None) -> list[Violation]:
    """Safety on the simulator side, for every meeting this client has been in."""
    out: list[Violation] = []
    for view in views:
        mine = participants_of(view, device_url)
        for p in mine:
            pid = p["participantId"]
            for ch in ("default", "practice"):
                c = p["channels"][ch]
                if c.get("maxConcurrentRegistrations", 0) > 1:
                    out.append(
                        Violation(
                            "always.concurrent_registrations",
                            f"{c['maxConcurrentRegistrations']} registrations of the {ch} "
                            f"channel were in flight at once (meeting {view['meetingId']})",
                        )
                    )
                # a draining socket (shutdown sent) and its replacement overlap by design
                live_socks = [s for s in c["sockets"] if not s.get("draining")]
                if len(live_socks) > 1:
                    out.append(
                        Violation(
                            "always.two_sockets",
                            f"{pid} has {len(live_socks)} live {ch} sockets",
                        )
                    )
                if p["phase"] == "left" and c["sockets"]:
                    out.append(
                        Violation("always.left_socket", f"left participant {pid} has a {ch} socket")
                    )
            at_leave = p.get("attemptsAtLeave")
            if at_leave is not None:
                for ch in ("default", "practice"):
                    for what, key in (("registration", "registrationAttempts"),
                                      ("socket", "socketAttempts")):  # fmt: skip
                        before, now = at_leave[what][ch], p["channels"][ch][key]
                        if now != before:
                            out.append(
                                Violation(
                                    "always.used_after_leave",
                                    f"{now - before} {what} attempt(s) on {ch} for {pid} "
                                    "after the client left that meeting",
                                )
                            )
        live = [p for p in mine if p["phase"] != "left"]
        if len(live) > 1:
            ids = ", ".join(p["participantId"] for p in live)
            out.append(
                Violation("always.two_participants", f"one device, two live participants: {ids}")
            )
    return out


def check_event(
    event: CoreEvent,
    snapshot_states: Mapping[ChannelName, ChannelState],
    dead_generations: set[int],
    injected_replaced: bool,
    generation: int,
) -> list[Violation]:
    """Checked as each event happens, with the channel states at that instant."""
    out: list[Violation] = []
    if (
        event.kind is EventKind.ONLINE
        and event.channel == ChannelName.PRACTICE
        and snapshot_states[ChannelName.DEFAULT] is not ChannelState.ONLINE
    ):
        out.append(
            Violation(
                "always.practice_before_default",
                "practice channel came online while the default channel was "
                f"{snapshot_states[ChannelName.DEFAULT].value}",
            )
        )
    if event.kind is EventKind.BAD_INPUT and event.data.get("no_id"):
        out.append(
            Violation(
                "always.frame_without_id",
                f"the server sent a {event.channel} frame without an id: {event.summary!r}",
            )
        )
    if (
        event.kind is EventKind.CLOSED
        and event.data.get("code") == 4000
        and not event.data.get("retired")
        and event.data.get("action") != "stay offline (replaced)"
    ):
        out.append(
            Violation(
                "always.reconnect_after_4000",
                f"{event.channel} closed 4000 {event.data.get('reason')!r} decided as "
                f"{event.data.get('action')!r}, not 'stay offline (replaced)'",
            )
        )
    if (
        event.kind is EventKind.CLOSED
        and event.data.get("code") == 4000
        and str(event.data.get("reason", "")).lower() == "replaced"
        and not event.data.get("by_client")
        and not injected_replaced
    ):
        out.append(
            Violation(
                "always.replaced",
                f"{event.channel} socket was replaced by another socket of the same client",
            )
        )
    # `generation`: the client's current one. A leave ends G (G+1 is "left"); the next join
    # is G+2. Events of G while closing are fine; after the leave returned, or once a later
    # generation joined, any event of G is a callback of a left meeting (SCENARIOS R3, A6).
    # (A user's command is not a callback: it is stamped with whatever the channel last had.)
    if (
        event.channel in (ChannelName.DEFAULT, ChannelName.PRACTICE)
        and event.kind is not EventKind.COMMAND
        and (event.generation in dead_generations or event.generation <= generation - 2)
    ):
        out.append(
            Violation(
                "always.left_generation_callback",
                f"{event.channel} event of left generation {event.generation} after leave: "
                f"{event.kind.value} {event.summary!r}",
            )
        )
    return out


def check_registrations(events: Iterable[CoreEvent]) -> list[Violation]:
    """Exactly one registration per connect attempt: after a successful registration POST
    the channel opens a socket before it ever registers again (SCENARIOS A4)."""
    out: list[Violation] = []
    pending: dict[str, CoreEvent] = {}  # channel -> a registration not yet followed by a connect
    for e in events:
        if e.channel not in (ChannelName.DEFAULT, ChannelName.PRACTICE):
            continue
        if e.kind is EventKind.HTTP and e.data.get("what") == "register":
            if e.channel in pending:
                out.append(
                    Violation(
                        "always.registrations_per_connect",
                        f"{e.channel}: registered again (event {e.seq}) without connecting after "
                        f"the registration of event {pending[e.channel].seq}",
                    )
                )
            pending[e.channel] = e
        elif e.kind is EventKind.STATE and e.data.get("state") == "connecting":
            pending.pop(e.channel, None)
    return out


# a new attempt (not a retry of the replaced socket) starts with one of these states
_FRESH_STATES = frozenset({"offline", "waiting", "fetching token", "registering", "connecting"})


def check_no_reconnect_after_4000(events: Iterable[CoreEvent]) -> list[Violation]:
    """After a 4000 close (any reason) a channel retries nothing by itself: only a user's
    reconnect or a new desired state (URL, meeting) opens a socket again (mercury.js)."""
    out: list[Violation] = []
    halted: dict[str, CoreEvent] = {}
    for e in events:
        if e.kind is EventKind.CLOSED and e.data.get("code") == 4000 and not e.data.get("retired"):
            halted[e.channel] = e
            continue
        since = halted.get(e.channel)
        if since is None:
            continue
        if e.kind is EventKind.COMMAND or (
            e.kind is EventKind.STATE and e.data.get("state") in _FRESH_STATES
        ):
            del halted[e.channel]
        elif e.kind is EventKind.RETRY or (
            e.kind is EventKind.STATE and e.data.get("state") == "reconnecting"
        ):
            out.append(
                Violation(
                    "always.reconnect_after_4000",
                    f"{e.channel} retried (event {e.seq}) after the 4000 close of event "
                    f"{since.seq}",
                )
            )
            del halted[e.channel]
    return out


def check_stored_tokens(
    claims: Mapping[str, Mapping[str, Any] | None],
    participant_id: str | None,
    meeting_id: str | None,
    in_meeting: bool,
) -> list[Violation]:
    """Every stored token belongs to the current participant of the current meeting.

    `claims`: token type -> decoded JWT claims of the stored token (None: not a JWT)."""
    out: list[Violation] = []
    for kind, c in claims.items():
        if c is None:
            continue  # an undecodable token is shown with a warning; nothing to compare
        if not in_meeting:
            out.append(
                Violation("always.token_after_leave", f"{kind} token stored while not in a meeting")
            )
        elif c.get("sub") != participant_id or c.get("meeting") != meeting_id:
            out.append(
                Violation(
                    "always.foreign_token",
                    f"{kind} token of participant {c.get('sub')} (meeting {c.get('meeting')}) "
                    f"stored while the client is {participant_id} in {meeting_id}",
                )
            )
    return out


# ---- settled -----------------------------------------------------------------------------


def is_quiet(snap: MeetingSnapshot) -> bool:
    """No channel in a transitional state, and every online channel confirmed."""
    for ch in snap.channels.values():
        if ch.state in TRANSITIONAL or ch.switchover is not None:
            return False
        if ch.state is ChannelState.ONLINE and not set(ch.subscriptions) <= set(ch.confirmed):
            return False
    return True


def check_settled(snap: MeetingSnapshot, view: Mapping[str, Any] | None) -> list[Violation]:
    """Once settled: the displayed state equals the simulator's truth."""
    out: list[Violation] = []

    def bad(kind: str, message: str) -> None:
        out.append(Violation(f"settled.{kind}", message))

    for name, ch in snap.channels.items():
        if ch.state in TRANSITIONAL:
            bad("unsettled", f"{name.value} still {ch.state.value} ({ch.detail})")
    mine = participants_of(view, snap.device_url)
    cur = find(view, snap.participant_id) if snap.meeting_id else None
    shown = snap.phase
    in_meeting = shown in (Phase.LOBBY, Phase.JOINED)
    if in_meeting:
        if cur is None:
            bad("phase", f"client shows {snap.badge}; the simulator has no {snap.participant_id}")
        elif cur["phase"] != shown.value:
            bad("phase", f"client shows {shown.value}, simulator has {cur['phase']}")
    for p in mine:
        if p is not cur and p["phase"] != "left":
            bad(
                "ghost",
                f"simulator has {p['participantId']} {p['phase']} for this device; the client "
                f"shows {snap.badge} as {snap.participant_id}",
            )
        if p is cur and not in_meeting and p["phase"] != "left":
            bad("phase", f"client shows {snap.badge}, simulator has {p['phase']}")
    device = snap.channel(ChannelName.DEVICE)
    # a replaced / permanently closed device socket gets no more locus pushes (the table's
    # rule): what the client shows of roles and the practice session is then its last word
    blind = device.state in HALTED
    joined = cur is not None and cur["phase"] == "joined" and shown is Phase.JOINED
    if joined and cur is not None and view is not None and not blind:
        if sorted(snap.roles) != sorted(cur["roles"]):
            bad("roles", f"client shows roles {list(snap.roles)}, simulator has {cur['roles']}")
        if snap.practice_enabled != bool(view["practiceSession"]["enabled"]):
            bad("practice_flag", f"client shows practice session {snap.practice_enabled}")

    default = snap.channel(ChannelName.DEFAULT)
    practice = snap.channel(ChannelName.PRACTICE)
    practice_eligible = (
        joined
        and cur is not None
        and view is not None
        and ("PANELIST" in snap.roles if blind else "PANELIST" in cur["roles"])
        and (snap.practice_enabled if blind else bool(view["practiceSession"]["enabled"]))
    )
    expected = {
        ChannelName.DEFAULT: joined,
        # a new practice connect waits for the default; an online one is kept (P7)
        ChannelName.PRACTICE: practice_eligible
        and (default.state is ChannelState.ONLINE or practice.state is ChannelState.ONLINE),
    }
    if cur is not None:
        holders = [
            name.value
            for name in DATA
            for sock in sockets(cur, name.value)
            if "transcription" in sock.get("subscriptions", []) and not sock.get("draining")
        ]
        if len(holders) > 1:
            bad("two_transcription", f"transcription subscribed on {holders} (at most one)")
    for name in DATA:
        c = snap.channel(name)
        # the replacement, not the socket it replaces (unless no replacement came)
        every = sockets(cur, name.value)
        socks = [s for s in every if not s.get("draining")] or every
        for p in mine:
            if p is not cur and sockets(p, name.value):
                bad("stale_socket", f"{name.value} socket of {p['participantId']} ({p['phase']})")
        if c.state is ChannelState.ONLINE:
            if not expected[name]:
                bad("online_not_eligible", f"{name.value} online but not eligible")
            if len(socks) != 1:
                bad("sockets", f"{name.value} online, the simulator has {len(socks)} sockets")
            else:
                if not set(c.subscriptions) <= set(socks[0]["subscriptions"]):
                    bad("subscriptions", f"{name.value} lacks {c.subscriptions} on the server")
                if c.binding != socks[0].get("binding", c.binding):
                    bad(
                        "binding",
                        f"{name.value} shows binding {c.binding}, its socket on the server was "
                        f"registered as {socks[0]['binding']} (two registrations for one socket)",
                    )
            if not set(c.subscriptions) <= set(c.confirmed):
                bad("subscriptions", f"{name.value} online, {c.confirmed} of {c.subscriptions}")
        else:
            if socks:
                bad("sockets", f"{name.value} {c.state.value}, the simulator has a live socket")
            if expected[name] and c.state not in HALTED:
                bad("not_online", f"{name.value} should be online, is {c.state.value} {c.detail}")
    if snap.device_url is not None and device.state not in HALTED | {ChannelState.ONLINE}:
        bad("device", f"device socket {device.state.value} ({device.detail})")
    if device.state is ChannelState.ONLINE and cur is not None:
        n = len(sockets(cur, "device"))
        if n != 1:
            bad("device_sockets", f"device online, the simulator has {n} device sockets")
    return out
