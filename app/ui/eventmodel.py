"""The event log's data: a bounded table model of CoreEvents and a filter proxy.

Events arrive one by one from the bridge; they are batched into the model by a 10 Hz timer
(one beginInsertRows per batch, not per event). Paused, they wait in `pending`: nothing is
lost, the view just stops moving.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from app.core.events import CoreEvent, EventKind
from app.ui.fmt import wall_clock
from app.ui.redact import redact, redact_text

COLUMNS = ("time", "channel", "type", "summary")
Index = QModelIndex | QPersistentModelIndex
ERROR_KINDS = frozenset({EventKind.ERROR, EventKind.BAD_INPUT, EventKind.SUBSCRIBE_FAILED})


class EventModel(QAbstractTableModel):
    counts_changed = Signal()

    def __init__(self, capacity: int = 100_000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._rows: list[CoreEvent] = []
        self.pending: list[CoreEvent] = []
        self.paused = False
        self.trimmed = 0  # events dropped because the log is full (oldest first)
        self.total = 0
        self.channels: set[str] = set()
        self.kinds: set[str] = set()
        self._flush = QTimer(self, interval=100, singleShot=True)
        self._flush.timeout.connect(self.flush)

    # -- input ----------------------------------------------------------------------------
    def add(self, ev: CoreEvent) -> None:
        self.pending.append(ev)
        self.total += 1
        if ev.channel not in self.channels or ev.kind.value not in self.kinds:
            self.channels.add(ev.channel)
            self.kinds.add(ev.kind.value)
            self.counts_changed.emit()
        if len(self._rows) + len(self.pending) > self.capacity + self.capacity // 10:
            self._trim()
        if not self.paused and not self._flush.isActive():
            self._flush.start()

    def flush(self) -> None:
        if self.paused or not self.pending:
            return
        batch, self.pending = self.pending, []
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self._rows.extend(batch)
        self.endInsertRows()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.flush()

    def _trim(self) -> None:
        """Keep the newest `capacity` events; trimming in chunks keeps it amortised O(1)."""
        excess = len(self._rows) + len(self.pending) - self.capacity
        from_rows = min(excess, len(self._rows))
        if from_rows:
            self.beginRemoveRows(QModelIndex(), 0, from_rows - 1)
            del self._rows[:from_rows]
            self.endRemoveRows()
        if excess > from_rows:
            del self.pending[: excess - from_rows]
        self.trimmed += excess

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.pending.clear()
        self.endResetModel()

    # -- reading --------------------------------------------------------------------------
    def event_at(self, row: int) -> CoreEvent:
        return self._rows[row]

    def all_events(self) -> Iterable[CoreEvent]:
        """Shown and pending alike, oldest first (export must not lose paused events)."""
        yield from self._rows
        yield from self.pending

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        ev = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return wall_clock(ev.wall)
            if col == 1:
                return ev.channel
            if col == 2:
                return ev.kind.value
            return redact_text(ev.summary)
        if role == Qt.ItemDataRole.ToolTipRole:
            return json.dumps(redact(ev.to_json()), indent=1)[:2000]
        if role == Qt.ItemDataRole.ForegroundRole:
            if ev.kind in ERROR_KINDS:
                return QColor("#d1242f")
            if ev.heartbeat:
                return QColor("#8a8a8a")
        return None


class EventFilter(QSortFilterProxyModel):
    """Channel, type, text, 'hide heartbeats' (on by default) and 'hide transcripts'."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.channel: str | None = None
        self.kind: str | None = None
        self.text = ""
        self.hide_heartbeats = True
        self.hide_transcripts = False  # captions have their own panel

    def set_filter(self, **changes: Any) -> None:
        self.beginFilterChange()
        for key, value in changes.items():
            if not hasattr(self, key):
                raise AttributeError(key)
            setattr(self, key, value)
        self.text = self.text.strip().lower()
        self.endFilterChange()

    def accepts(self, ev: CoreEvent) -> bool:
        if self.hide_heartbeats and ev.heartbeat:
            return False
        if self.hide_transcripts and ev.kind is EventKind.TRANSCRIPT:
            return False
        if self.channel and ev.channel != self.channel:
            return False
        if self.kind and ev.kind.value != self.kind:
            return False
        if self.text:
            hay = f"{ev.channel} {ev.kind.value} {ev.summary}".lower()
            return self.text in hay
        return True

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, EventModel)
        return self.accepts(model.event_at(source_row))
