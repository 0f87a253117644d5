"""Incidents: every disruption of a channel as one story, derived from events alone.

Pure and Qt-free, so the CLI, scenario reports, recordings and the window share it, and it
works for any client whose hub emits `CoreEvent`s (the native core, the SDK client): nothing
here reads a client's internals. Causes (host actions, faults, client commands) come from
`Action` records a caller logged (`app.scenario.actionlog`), plus the core's own `command`
events for client-side drops.

An incident opens when a channel that was online stops being online for a reason other than
an intentional stop (a leave, the channel no longer wanted): a close after online, or a
state change away from online (a URL rotation re-registers). It collects every step until
the channel is online again and captions flow again: backoff waits, token fetches,
registrations, online, resubscription requested / confirmed, first caption.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.core.events import CoreEvent, EventKind
from app.core.incident_cadence import GAP_FLOOR, CaptionGaps, _Cadence
from app.core.incident_causes import CAUSE_WINDOW, _cause_for, _close_short, _close_words, _code
from app.core.incident_figures import Summary, percentile, summarize
from app.core.incident_model import (
    LANES,
    TOKEN_CHANNEL,
    Action,
    CaptionAudit,
    Incident,
    Step,
)

DATA_CHANNELS = ("default", "practice")
CHANNELS = ("device", *DATA_CHANNELS)
CAPTION_WINDOW = 30.0  # s: captions this recent before an incident mean it carried them
SETTLE_AFTER = 10.0  # s after online without a caption: settled anyway
_GAP = re.compile(r"expected (\d+), got (\d+)")
_WAIT = re.compile(r"\bin (\d+(?:\.\d+)?) s\b")
_QUIET = {"offline", "waiting"}  # not wanted (any more): a planned stop, not a disruption


# -- the tracker ----------------------------------------------------------------------------


@dataclass
class _Open:
    number: int
    channel: str
    generation: int
    detected: float
    detection: str
    code: int | None = None
    reason: str | None = None
    by: str | None = None
    online: float | None = None
    requested: float | None = None
    confirmed: float | None = None
    first_caption: float | None = None
    last_caption_before: float | None = None
    interval: float | None = None
    retries: list[float] = field(default_factory=list)
    token_fetches: int = 0
    token_failures: int = 0
    registrations: int = 0
    refusals: int = 0
    frames_lost: int = 0
    duplicates: int = 0
    outcome: str = "open"
    steps: list[Step] = field(default_factory=list)
    online_since: float | None = None  # when the channel came online before it
    silent: float | None = None  # s without a ping round trip or caption before a close
    settled: bool = False


class IncidentTracker:
    """Feed it events (and actions) in any live order; `incidents()` is the story so far."""

    def __init__(self) -> None:
        self._incidents: list[_Open] = []
        self._open: dict[str, _Open] = {}
        self._online: dict[str, float | None] = dict.fromkeys(CHANNELS)
        self._since: dict[str, float] = {}  # when each channel last came online
        self._quiet: dict[str, float] = {}  # when it went online -> offline (a close may follow)
        self._left = False  # after a leave, closes are the leave's, not disruptions
        self._state: dict[str, str] = {}
        self._actions: list[Action] = []
        self._cadence: dict[str, _Cadence] = {}
        self._audit: dict[str, dict[str, Any]] = {}
        self._recent: deque[tuple[float, str, str]] = deque(maxlen=64)
        self._recent_keys: dict[str, int] = {}  # key -> entries in _recent: scan only on a hit
        self._heard: dict[str, float] = {}  # last ping round trip or caption per channel
        self._last_wall = 0.0
        self.first_wall: float | None = None

    # -- input ----------------------------------------------------------------------------
    def add_action(self, action: Action) -> None:
        self._actions.append(action)
        if action.source == "host" and action.name == "transcription":
            for c in self._cadence.values():  # a new rate: the old cadence means nothing
                c.reset()

    def feed(self, ev: CoreEvent) -> None:
        if ev.seq <= 0:  # a UI's own lines (commands, errors) are not core events
            return
        if self.first_wall is None:
            self.first_wall = ev.wall
        self._last_wall = max(self._last_wall, ev.wall)
        kind, ch, data = ev.kind, ev.channel, ev.data
        if kind in (EventKind.RTT, EventKind.TRANSCRIPT):  # signs of life of a socket
            self._heard[ch] = ev.wall
        if kind is EventKind.TRANSCRIPT:
            self._caption(ev)
        elif kind is EventKind.RTT or kind is EventKind.KEEPALIVE:
            return
        elif kind is EventKind.COMMAND and ch in CHANNELS and "how" in data:
            self._actions.append(
                Action(ev.wall, "client", "drop", {"channel": ch, "how": data["how"]}, ms=0.0)
            )
        elif kind is EventKind.PHASE and "left" in ev.summary:
            self._left = True
            for inc in list(self._open.values()):
                inc.outcome = "ended" if inc.online is None else inc.outcome
                self._close(inc)
        elif kind is EventKind.PHASE:
            self._left = False
        elif ch in CHANNELS:
            self._channel_event(ev)
        elif kind is EventKind.HTTP and data.get("what") == "token":
            self._token_http(ev)
        elif kind is EventKind.TOKEN and data.get("source") in ("fetched", "refreshed"):
            inc = self._open.get(TOKEN_CHANNEL.get(str(data.get("token_type")), ""))
            if inc is not None and inc.online is None:
                inc.token_fetches += 1
                ms = data.get("ms")
                start = ev.wall - (ms / 1000 if isinstance(ms, int | float) else 0)
                inc.steps.append(Step("token", f"token {data.get('source')}", start, ev.wall))
        if self._open:
            self._settle(ev.wall)

    def _channel_event(self, ev: CoreEvent) -> None:
        ch, kind, data = ev.channel, ev.kind, ev.data
        inc = self._open.get(ch)
        if kind is EventKind.STATE:
            state = str(data.get("state", ""))
            before, self._state[ch] = self._state.get(ch), state or self._state.get(ch, "")
            if ev.summary.startswith("subscription requested"):
                if inc is not None and inc.online is not None and inc.requested is None:
                    inc.requested = ev.wall
                    inc.steps.append(Step("subscribe", "subscription requested", ev.wall))
                return
            if not state:
                return
            if before == "online" and state != "online":
                self._online[ch] = None
                if state in _QUIET:
                    self._quiet[ch] = ev.wall  # some clients say "offline" before the close
                    if inc is not None and inc.online is None:  # closed, then not wanted
                        self._incidents.remove(inc)
                        del self._open[ch]
                    return
                if inc is None or inc.online is not None:
                    inc = self._start(ev, f"online → {state} without a close (a new URL?)")
                inc.steps.append(Step("detect", f"online → {state}", ev.wall))
                if state in ("closed", "replaced"):  # a permanent close: no reconnect comes
                    inc.outcome = "gave up"
            elif inc is not None and inc.online is None:
                if state in ("connecting",):
                    inc.steps.append(Step("connect", "connecting", ev.wall))
                elif state in ("error", "closed", "replaced"):
                    inc.steps.append(Step("connect", state, ev.wall, ok=False))
                    if state in ("closed", "replaced"):
                        inc.outcome = "gave up"
                elif state in _QUIET:  # no longer wanted while disrupted
                    inc.outcome = "ended"
                    self._close(inc)
        elif kind is EventKind.CLOSED:
            permanent_by_us = data.get("by_client") and data.get("code") == 3050
            was_online = self._online.get(ch) is not None or (
                ev.wall - self._quiet.get(ch, float("-inf")) <= 0.25  # offline, then the close
            )
            if was_online and not permanent_by_us and not self._left:
                if inc is None or inc.online is not None:
                    inc = self._start(ev, _close_words(data))
                inc.code, inc.reason = _code(data), data.get("reason")
                inc.by = "client" if data.get("by_client") else "server"
                inc.detection = _close_words(data)
                heard = self._heard.get(ch)
                if heard is not None and ev.wall - heard >= 1.0 and inc.online is None:
                    inc.silent = ev.wall - heard  # said when no cause is known (a curl)
                inc.steps.append(Step("detect", _close_short(data), ev.wall, ok=False))
            elif inc is not None and inc.online is None:
                inc.steps.append(Step("connect", _close_short(data), ev.wall, ok=False))
        elif kind is EventKind.ONLINE:
            self._online[ch] = self._since[ch] = ev.wall
            self._quiet.pop(ch, None)
            if inc is not None and inc.online is None:
                inc.online = ev.wall
                inc.outcome = "recovered"
                inc.steps.append(Step("connect", "online", ev.wall))
        elif inc is None:
            return
        elif kind is EventKind.RETRY:
            delay = float(data.get("delay") or 0.0)
            inc.retries.append(delay)
            label = f"retry {data.get('attempt', len(inc.retries))} in {delay:g} s"
            inc.steps.append(Step("backoff", label, ev.wall, ev.wall + delay))
        elif kind is EventKind.HTTP and inc.online is None:
            if data.get("what") == "register" and "ms" in data:
                inc.registrations += 1
                start = ev.wall - float(data["ms"]) / 1000
                retried = " (retried)" if data.get("retried") else ""
                inc.steps.append(Step("register", "registered" + retried, start, ev.wall))
            elif "status" in data:
                inc.refusals += 1
                inc.steps.append(Step("register", f"refused {data['status']}", ev.wall, ok=False))
                wait = _WAIT.search(ev.summary)  # "refreshing token in 2 s, then retrying once"
                if wait:
                    seconds = float(wait.group(1))
                    label = f"wait {seconds:g} s, then refresh"
                    inc.steps.append(Step("backoff", label, ev.wall, ev.wall + seconds))
        elif kind is EventKind.SUBSCRIBED and inc.online is not None:
            if inc.confirmed is None:
                inc.confirmed = ev.wall
                inc.steps.append(Step("subscribe", "subscription confirmed", ev.wall))
        elif kind is EventKind.SEQ_GAP:
            m = _GAP.search(ev.summary)
            expected = data.get("expected", m and int(m.group(1)))
            got = data.get("got", m and int(m.group(2)))
            if isinstance(expected, int) and isinstance(got, int) and got > expected:
                inc.frames_lost += got - expected
        elif kind is EventKind.ERROR and inc.online is None:
            inc.steps.append(Step("connect", ev.summary[:60], ev.wall, ok=False))

    def _token_http(self, ev: CoreEvent) -> None:
        status = ev.data.get("status")
        if not isinstance(status, int) or status < 400:
            return  # successes are counted from the token event (it names the type)
        for inc in self._open.values():
            if inc.channel in DATA_CHANNELS and inc.online is None:
                inc.token_failures += 1
                ms = float(ev.data.get("ms") or 0.0)
                inc.steps.append(
                    Step("token", f"token {status}", ev.wall - ms / 1000, ev.wall, ok=False)
                )

    def _caption(self, ev: CoreEvent) -> None:
        if not ev.data.get("final", True):
            return
        ch, wall = ev.channel, ev.wall
        audit = self._audit.setdefault(ch, {"captions": 0, "duplicates": 0, "gaps": []})
        audit["captions"] += 1
        cadence = self._cadence.setdefault(ch, _Cadence())
        interval = cadence.interval
        key = f"{ev.data.get('start_millis', '')}|{ev.data.get('text', ev.summary)}"
        window = min(0.5, 3 * interval) if interval else 0.5
        recent, keys = self._recent, self._recent_keys
        duplicate = key in keys and any(w >= wall - window and k == key for w, _, k in recent)
        if len(recent) == recent.maxlen:  # the oldest is about to fall out
            old = recent[0][2]
            if keys[old] == 1:
                del keys[old]
            else:
                keys[old] -= 1
        recent.append((wall, ch, key))
        keys[key] = keys.get(key, 0) + 1
        if duplicate:
            audit["duplicates"] += 1
            for other in self._open.values():
                if other.channel in DATA_CHANNELS:
                    other.duplicates += 1
            return  # a duplicate is not the next caption of the cadence
        last = cadence.last
        gap = cadence.add(wall)
        if gap is not None and interval and last is not None and gap > max(3 * interval, GAP_FLOOR):
            audit["gaps"].append((last, wall, max(0, round(gap / interval) - 1)))
        if not self._open:
            return
        for other in self._open.values():  # captions again: on whichever channel carries them
            if other.online is not None and other.first_caption is None:
                if other.last_caption_before is not None:
                    other.first_caption = wall
                    other.steps.append(Step("captions", f"first caption ({ch})", wall))

    def _start(self, ev: CoreEvent, detection: str) -> _Open:
        ch = ev.channel
        old = self._open.get(ch)
        if old is not None:
            self._close(old)
        cadence = self._cadence.get(ch)
        last = cadence.last if cadence else None
        carried = last is not None and ev.wall - last <= CAPTION_WINDOW
        inc = _Open(
            number=len(self._incidents) + 1,
            channel=ch,
            generation=ev.generation,
            detected=ev.wall,
            detection=detection,
            last_caption_before=last if carried else None,
            interval=cadence.interval if cadence and carried else None,
            online_since=self._since.get(ch),
        )
        self._incidents.append(inc)
        self._open[ch] = inc
        return inc

    def _close(self, inc: _Open) -> None:
        inc.settled = True
        if self._open.get(inc.channel) is inc:
            del self._open[inc.channel]

    def _settle(self, now: float) -> None:
        for inc in list(self._open.values()):
            if inc.online is None:
                continue
            no_captions = inc.last_caption_before is None
            if inc.first_caption is not None or (no_captions and inc.confirmed is not None):
                self._close(inc)
            elif now - inc.online > SETTLE_AFTER:
                self._close(inc)

    # -- output ---------------------------------------------------------------------------
    def finish(self) -> None:
        """The session ended: nothing more will come."""
        for inc in list(self._open.values()):
            self._close(inc)

    def settled(self) -> list[Incident]:
        return [i for i in self.incidents() if self._by_number(i.number).settled]

    def _by_number(self, number: int) -> _Open:
        return self._incidents[number - 1]

    def incidents(self) -> list[Incident]:
        actions = sorted(self._actions, key=lambda a: a.wall)
        used: set[tuple[int, str]] = set()
        out = []
        for number, o in enumerate(self._incidents, start=1):
            o.number = number
            cause, related = _cause_for(o, actions, used)
            steps = list(o.steps)
            if cause is not None:
                steps.insert(0, Step("cause", cause.describe(), cause.wall, ok=cause.ok))
            out.append(
                Incident(
                    number=number,
                    channel=o.channel,
                    generation=o.generation,
                    detected=o.detected,
                    detection=o.detection
                    + (f", silent {o.silent:.1f} s before" if o.silent and not cause else ""),
                    cause=cause,
                    related=related,
                    close_code=o.code,
                    close_reason=o.reason,
                    closed_by=o.by,
                    online=o.online,
                    resubscribe_requested=o.requested,
                    resubscribe_confirmed=o.confirmed,
                    first_caption=o.first_caption,
                    last_caption_before=o.last_caption_before,
                    caption_interval=o.interval,
                    retries=tuple(o.retries),
                    token_fetches=o.token_fetches,
                    token_failures=o.token_failures,
                    registrations=o.registrations,
                    refusals=o.refusals,
                    frames_lost=o.frames_lost,
                    duplicates=o.duplicates,
                    outcome=(
                        "online, captions never resumed"  # e.g. 3.12.0: no resubscribe
                        if o.outcome == "recovered"
                        and o.settled
                        and o.last_caption_before is not None
                        and o.first_caption is None
                        else o.outcome
                    ),
                    steps=tuple(sorted(steps, key=lambda s: s.wall)),
                )
            )
        return out

    def captions(self) -> list[CaptionAudit]:
        return [
            CaptionAudit(ch, a["captions"], a["duplicates"], tuple(a["gaps"]))
            for ch, a in sorted(self._audit.items())
        ]


def derive(events: Iterable[CoreEvent], actions: Iterable[Action] = ()) -> IncidentTracker:
    """A finished tracker over a whole session (a recording, a scenario run)."""
    tracker = IncidentTracker()
    for a in actions:
        tracker.add_action(a)
    for ev in sorted(events, key=lambda e: (e.wall, e.seq)):
        tracker.feed(ev)
    tracker.finish()
    return tracker


__all__ = [
    "CAUSE_WINDOW",
    "GAP_FLOOR",
    "LANES",
    "Action",
    "CaptionAudit",
    "CaptionGaps",
    "Incident",
    "IncidentTracker",
    "Step",
    "Summary",
    "derive",
    "percentile",
    "summarize",
]
