"""The live session, kept bounded for File > Save session as scenario.

Issue 13 kept every event of the window's session as JSON in a `StringIO` (a full
`Recorder`): unbounded over a day of QA work, and a JSON encode per caption and ping on the
window's main thread. What `scenario_from_session` reads is far less: the actions, the
snapshots the user saw (deduplicated like the recorder's), every event that is not a ping
round trip or a caption, and of the captions only the first final one per channel after each
action (its "captions flow" expectation). So only that is kept, as objects (no encoding), and
a caption costs a kind test and a set lookup.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app import __version__
from app.core.events import CoreEvent, EventKind, Hub, MeetingSnapshot
from app.core.incidents import Action
from app.scenario.recording import (
    VERSION,
    Session,
    SessionHeader,
    SnapshotRecord,
    _digest,
)

MAX_EVENTS = 200_000  # a safety cap on the rare kinds (state changes, closes, http ...)
MAX_SNAPSHOTS = 20_000  # visible changes only; a cap against a pathological flapper
_SKIP = (EventKind.RTT, EventKind.KEEPALIVE)


class SessionMemory:
    """Hub listener: what `from_session` needs of the live session, in bounded memory."""

    def __init__(self, hub: Hub, *, server: str, profile: str) -> None:
        self.header = SessionHeader(
            version=VERSION,
            server=server,
            profile=profile,
            started=time.time(),
            app=f"dcmon {__version__}",
        )
        self.events: deque[CoreEvent] = deque(maxlen=MAX_EVENTS)
        self.snapshots: deque[SnapshotRecord] = deque(maxlen=MAX_SNAPSHOTS)
        self.actions: list[Action] = []
        self.dropped = 0  # captions not kept (summarised away)
        self._captioned: set[str] = set()  # channels with a kept caption since the last action
        self._digest: object = None
        self._unsubscribe: list[Callable[[], None]] = [
            hub.on_event(self.event),
            hub.on_snapshot(self.snapshot),
        ]

    def event(self, ev: CoreEvent) -> None:
        kind = ev.kind
        if kind is EventKind.TRANSCRIPT:
            # a partial, or a channel already shown to carry captions since the last action
            if ev.channel in self._captioned or not ev.data.get("final", True):
                self.dropped += 1
                return
            self._captioned.add(ev.channel)
        elif kind in _SKIP:
            return
        self.events.append(ev)

    def action(self, action: Action) -> None:
        self.actions.append(action)
        self._captioned.clear()  # the next captions are what follows this action

    def snapshot(self, snap: MeetingSnapshot) -> None:
        digest = _digest(snap)
        if digest != self._digest:  # as the recorder: counters alone are no new state
            self._digest = digest
            # the recorder's JSON round trip (tuples -> lists, enums -> str), as a loader sees it
            data: dict[str, Any] = json.loads(json.dumps(snap.to_json(), default=str))
            self.snapshots.append(SnapshotRecord(time.time(), data))

    def session(self, path: str = "this session") -> Session:
        return Session(
            path,
            self.header,
            tuple(self.events),
            (),
            tuple(self.snapshots),
            actions=tuple(self.actions),
        )

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
