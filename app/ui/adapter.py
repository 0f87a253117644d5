"""One QObject that turns the core's hub callbacks into Qt signals on the GUI thread.

Under qasync the core runs on the GUI thread's loop, so hub callbacks already arrive on the
right thread; the signals only decouple the panels from the core (they never see the hub).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from app.core.events import CoreEvent, EventKind, MeetingSnapshot


class HubLike(Protocol):
    def on_event(self, listener: Callable[[CoreEvent], None]) -> Callable[[], None]: ...
    def on_snapshot(self, listener: Callable[[MeetingSnapshot], None]) -> Callable[[], None]: ...


class CoreBridge(QObject):
    event = Signal(object)  # CoreEvent
    snapshot = Signal(object)  # MeetingSnapshot

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe: list[Callable[[], None]] = []
        self._last: MeetingSnapshot | None = None
        self._local_seq = itertools.count(1)
        self._t0 = time.monotonic()

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
        self.event.emit(ev)
        return ev

    def _on_event(self, ev: CoreEvent) -> None:
        self.event.emit(ev)

    def _on_snapshot(self, snap: MeetingSnapshot) -> None:
        self._last = snap
        self.snapshot.emit(snap)
