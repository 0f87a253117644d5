"""One QObject that turns the core's hub callbacks into Qt signals on the GUI thread.

Under qasync the core runs on the GUI thread's loop, so hub callbacks already arrive on the
right thread; the signals only decouple the panels from the core (they never see the hub).

Two speeds: `event` and `snapshot` fire for every core callback (recorders, waiters, tests);
`events` (a list per ~25 ms) and `shown_snapshot` are what the panels draw from, so
thousands of events a second never become thousands of repaints. A snapshot whose only news
is counters (frames, RTT, keep-alives) waits its turn, at most ~15 Hz, latest wins; any other
change (a state, a badge, a token) shows at once, before `snapshot` listeners hear of it.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.events import CoreEvent, EventKind, MeetingSnapshot
from app.ui.frames import frames

EVENT_BATCH_MS = 25  # events reach the panels in lists, one per this period at most
SNAPSHOT_MS = 66  # counter-only snapshots reach the panels at most ~15 times a second
# what changes with every frame or ping; a snapshot that changes only these can wait
_COUNTERS = frozenset({"frames_in", "frames_out", "last_rtt_ms", "sequence_gaps", "keep_alives"})


NO_CLOSE_FRAME = 1006  # RFC 6455: closed without a close frame (a reset, a lost socket)


def with_close_code(ev: CoreEvent) -> CoreEvent:
    """A close without a code is 1006 for everything downstream (log, exports, plot labels,
    recordings): the window never shows or writes `None` for a code (issue 12, item 2)."""
    if ev.kind is not EventKind.CLOSED or ev.data.get("code", NO_CLOSE_FRAME) is not None:
        return ev
    data = {**ev.data, "code": NO_CLOSE_FRAME}
    summary = ev.summary.replace("closed None ", f"closed {NO_CLOSE_FRAME} ", 1)
    return dataclasses.replace(ev, data=data, summary=summary)


def snapshot_close_codes(snap: MeetingSnapshot) -> MeetingSnapshot:
    """The same for the cards' last close (CloseInfo.code None -> 1006)."""
    lost = {
        name: ch
        for name, ch in snap.channels.items()
        if ch.last_close is not None and ch.last_close.code is None
    }
    if not lost:
        return snap
    channels = dict(snap.channels)
    for name, ch in lost.items():
        assert ch.last_close is not None
        close = dataclasses.replace(ch.last_close, code=NO_CLOSE_FRAME)
        channels[name] = dataclasses.replace(ch, last_close=close)
    return dataclasses.replace(snap, channels=channels)


def _without_counters(obj: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(obj).items() if k not in _COUNTERS}


def news(snap: MeetingSnapshot) -> tuple[Any, ...]:
    """The snapshot without its counters: when this changes, the panels show it at once."""
    top = _without_counters(snap)
    top["channels"] = {name: _without_counters(ch) for name, ch in snap.channels.items()}
    return tuple(top.items())


class HubLike(Protocol):
    def on_event(self, listener: Callable[[CoreEvent], None]) -> Callable[[], None]: ...
    def on_snapshot(self, listener: Callable[[MeetingSnapshot], None]) -> Callable[[], None]: ...


class CoreBridge(QObject):
    event = Signal(object)  # CoreEvent, every one, as it happens
    snapshot = Signal(object)  # MeetingSnapshot, every one, as it happens
    events = Signal(object)  # list[CoreEvent], batched for the panels
    shown_snapshot = Signal(object)  # MeetingSnapshot, throttled for the panels

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: list[Callable[[], None]] = []
        self._last: MeetingSnapshot | None = None
        self._local_seq = itertools.count(1)
        self._t0 = time.monotonic()
        self._batch: list[CoreEvent] = []
        self._batch_timer = QTimer(self, singleShot=True, interval=EVENT_BATCH_MS)
        self._batch_timer.timeout.connect(self.flush_events)
        # leading edge right away, then at most one per SNAPSHOT_MS with the latest
        self._shown: MeetingSnapshot | None = None
        self._shown_news: tuple[Any, ...] | None = None
        self._snap_timer = QTimer(self, singleShot=True, interval=SNAPSHOT_MS)
        # a counter-only update waits for a frame slot of its own (frames.py)
        self._snap_timer.timeout.connect(lambda: frames().request(self._snapshot_due))

    @property
    def last_snapshot(self) -> MeetingSnapshot | None:
        return self._last

    def attach(self, hub: HubLike) -> None:
        """Listen to one client's hub (detaching from the previous one first)."""
        self.detach()
        self._unsubscribe = [hub.on_event(self._on_event), hub.on_snapshot(self._on_snapshot)]

    def detach(self) -> None:
        for off in self._unsubscribe:
            off()
        self._unsubscribe = []

    def publish(self, snapshot: MeetingSnapshot) -> None:
        """A snapshot the UI made itself (before any client exists)."""
        self._on_snapshot(snapshot)

    def local(
        self, kind: EventKind, channel: str, summary: str, data: Mapping[str, Any] | None = None
    ) -> CoreEvent:
        """An event the UI itself originates (commands, errors) so the log tells the whole story.

        Negative sequence numbers keep them apart from the core's own numbering.
        """
        gen = self._last.generation if self._last else 0
        ev = CoreEvent(
            seq=-next(self._local_seq),
            t=time.monotonic() - self._t0,
            wall=time.time(),
            generation=gen,
            channel=channel,
            kind=kind,
            summary=summary,
            data=dict(data or {}),
        )
        self._on_event(ev)
        return ev

    def flush_events(self) -> None:
        """Hand the batch to the panels now (the timer does it otherwise)."""
        self._batch_timer.stop()
        if self._batch:
            batch, self._batch = self._batch, []
            self.events.emit(batch)

    def flush_snapshot(self) -> None:
        """Show the latest snapshot now, whatever the throttle says."""
        self._snap_timer.stop()
        self._snapshot_due()

    def _on_event(self, ev: CoreEvent) -> None:
        ev = with_close_code(ev)
        self.event.emit(ev)
        self._batch.append(ev)
        if not self._batch_timer.isActive():
            self._batch_timer.start()

    def _on_snapshot(self, snap: MeetingSnapshot) -> None:
        snap = snapshot_close_codes(snap)
        self._last = snap
        # news, or the first change after a quiet spell: at once; counters: in turn
        waiting = self._snap_timer.isActive() or frames().pending(self._snapshot_due)
        if not waiting or news(snap) != self._shown_news:
            self._snapshot_due()
        self.snapshot.emit(snap)

    def _snapshot_due(self) -> None:
        frames().cancel(self._snapshot_due)
        snap = self._last
        if snap is not None and snap is not self._shown:
            self._shown = snap
            self._shown_news = news(snap)
            self.shown_snapshot.emit(snap)
            self._snap_timer.start()  # and the next one waits its turn
