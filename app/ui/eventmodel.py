"""The event log's data: a bounded table model of CoreEvents and the filtered view of it.

Events arrive in batches from the bridge; they enter the model on a 10 Hz timer (one
beginInsertRows per batch, not per event). Paused, they wait in `pending`: nothing is lost,
the view just stops moving. Past `capacity` rows the oldest move to a spill file on disk
(app/ui/spill.py): memory stays bounded and all_events() (export) still has every event.

The filter is a plain list of the rows that pass, computed in one Python pass per change
over a lowercase search text each row got once: no per-row Python callback from Qt.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from app.core.events import HEARTBEAT_KINDS, CoreEvent, EventKind
from app.ui.fmt import wall_clock
from app.ui.frames import frames
from app.ui.redact import redact, redact_text
from app.ui.spill import Spill

COLUMNS = ("time", "channel", "type", "summary")
Index = QModelIndex | QPersistentModelIndex
ERROR_KINDS = frozenset({EventKind.ERROR, EventKind.BAD_INPUT, EventKind.SUBSCRIBE_FAILED})
ROOT = QModelIndex()
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
# a view asks ~7 roles per cell on every paint; these are the only ones with an answer
ROLES = frozenset({DISPLAY, TOOLTIP, FOREGROUND})
ERROR_COLOR = QColor("#d1242f")
HEARTBEAT_COLOR = QColor("#8a8a8a")
FLUSH_MS = 100
BUSY_FLUSH_MS = 500
BUSY_BATCH = 50  # rows in one flush that make the log "busy"
DISPLAY_CACHE = 4096  # rows whose cell texts are kept (the visible ones, many times over)


def search_text(ev: CoreEvent) -> str:
    """What the search box matches against (lowercase), computed once per event."""
    return f"{ev.channel} {ev.kind.value} {ev.summary}".lower()


class EventModel(QAbstractTableModel):
    counts_changed = Signal()

    def __init__(self, capacity: int = 100_000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        # trimmed in chunks of 1%: few model resets, and each spill write stays a few ms
        self.trim_chunk = max(capacity // 100, 1)
        self._rows: list[CoreEvent] = []
        self._hay: list[str] = []  # search_text() of each row
        self.offset = 0  # rows ever trimmed from the front: row r is event number offset + r
        self.pending: list[CoreEvent] = []
        self.paused = False
        self.trimmed = 0  # events moved out of memory to the spill file (oldest first)
        self.total = 0
        self.channels: set[str] = set()
        self.kinds: set[str] = set()
        self.spill = Spill()
        self._texts: dict[int, tuple[str, str, str, str]] = {}  # event number -> cell texts
        # paced at 10 Hz (2 Hz while hundreds of events a second stream by, too fast to read
        # anyway: a table repaint costs ~4 ms); the flush waits for a frame slot (frames.py)
        self._flush = QTimer(self, interval=FLUSH_MS, singleShot=True)
        self._flush.timeout.connect(lambda: frames().request(self.flush))

    # -- input ----------------------------------------------------------------------------
    def add(self, ev: CoreEvent) -> None:
        self.pending.append(ev)
        self.total += 1
        if ev.channel not in self.channels or ev.kind.value not in self.kinds:
            self.channels.add(ev.channel)
            self.kinds.add(ev.kind.value)
            self.counts_changed.emit()
        if len(self._rows) + len(self.pending) > self.capacity + self.trim_chunk:
            self._trim()
        if not self.paused and not self._flush.isActive() and not frames().pending(self.flush):
            self._flush.start()

    def add_many(self, events: Iterable[CoreEvent]) -> None:
        for ev in events:
            self.add(ev)

    def flush(self) -> None:
        frames().cancel(self.flush)
        if self.paused or not self.pending:
            return
        batch, self.pending = self.pending, []
        self._flush.setInterval(FLUSH_MS if len(batch) < BUSY_BATCH else BUSY_FLUSH_MS)
        first = len(self._rows)
        self.beginInsertRows(ROOT, first, first + len(batch) - 1)
        self._rows.extend(batch)
        self._hay.extend([search_text(ev) for ev in batch])
        self.endInsertRows()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.flush()

    def _trim(self) -> None:
        """Keep the newest `capacity` events in memory; the older ones go to the spill file."""
        excess = len(self._rows) + len(self.pending) - self.capacity
        from_rows = min(excess, len(self._rows))
        if from_rows:
            self.spill.write(self._rows[:from_rows])
            self.beginRemoveRows(ROOT, 0, from_rows - 1)
            del self._rows[:from_rows]
            del self._hay[:from_rows]
            self.offset += from_rows
            self.endRemoveRows()
        if excess > from_rows:  # paused long enough that pending alone is over capacity
            self.spill.write(self.pending[: excess - from_rows])
            del self.pending[: excess - from_rows]
        self.trimmed += excess

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self._hay.clear()
        self.pending.clear()
        self.offset = 0
        self.trimmed = 0
        self.spill.close()
        self._texts.clear()
        self.endResetModel()

    def close(self) -> None:
        """Delete the spill file now (it also goes when the model does, or at exit)."""
        self.spill.close()

    # -- reading --------------------------------------------------------------------------
    def event_at(self, row: int) -> CoreEvent:
        return self._rows[row]

    def all_events(self) -> Iterator[CoreEvent]:
        """Spilled, shown and pending alike, oldest first: export must not lose any. What
        is held when this is called is what it yields, even if events keep arriving."""
        spilled = self.spill.read()
        rows, pending = list(self._rows), list(self.pending)
        yield from spilled
        yield from rows
        yield from pending

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role not in ROLES or not index.isValid():
            return None
        return self.value(index.row(), index.column(), role)

    def value(self, row: int, col: int, role: int) -> Any:
        """What data() returns for a row and column (the filter asks here directly)."""
        if not 0 <= row < len(self._rows):
            return None
        if role == DISPLAY:
            key = self.offset + row
            texts = self._texts.get(key)
            if texts is None:  # formatting and redacting once per row, not once per paint
                if len(self._texts) >= DISPLAY_CACHE:
                    self._texts.clear()
                ev = self._rows[row]
                texts = (wall_clock(ev.wall), ev.channel, ev.kind.value, redact_text(ev.summary))
                self._texts[key] = texts
            return texts[col]
        ev = self._rows[row]
        if role == FOREGROUND:
            if ev.kind in ERROR_KINDS:
                return ERROR_COLOR
            if ev.kind in HEARTBEAT_KINDS:
                return HEARTBEAT_COLOR
            return None
        if role == TOOLTIP:
            return json.dumps(redact(ev.to_json()), indent=1)[:2000]
        return None


class EventFilter(QAbstractTableModel):
    """Channel, type, text, 'hide heartbeats' (on by default) and 'hide transcripts'.

    Holds the (absolute) numbers of the source rows that pass, ascending: new rows are
    filtered as a batch when they arrive, trimmed ones drop off the front, and a filter
    change recomputes the list in one pass.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.channel: str | None = None
        self.kind: str | None = None
        self.text = ""
        self.hide_heartbeats = True
        self.hide_transcripts = False  # captions have their own panel
        self.rebuilds = 0  # full recomputations (filter changes)
        self._src: EventModel | None = None
        self._shown: list[int] = []  # source offset + row, for each row shown

    def setSourceModel(self, model: EventModel) -> None:
        if self._src is not None:
            for signal, slot in self._wiring(self._src):
                signal.disconnect(slot)
        self._src = model
        for signal, slot in self._wiring(model):
            signal.connect(slot)
        self._rebuild()

    def sourceModel(self) -> EventModel | None:
        return self._src

    def _wiring(self, model: EventModel) -> list[tuple[Any, Any]]:
        return [
            (model.rowsInserted, self._source_inserted),
            (model.rowsRemoved, self._source_removed),
            (model.modelReset, self._rebuild),
        ]

    # -- the filter -----------------------------------------------------------------------
    def set_filter(self, **changes: Any) -> None:
        changed = False
        for key, value in changes.items():
            if not hasattr(self, key) or key.startswith("_"):
                raise AttributeError(key)
            if key == "text":
                value = str(value).strip().lower()
            if getattr(self, key) != value:
                setattr(self, key, value)
                changed = True
        if changed:
            self._rebuild()

    def accepts(self, ev: CoreEvent) -> bool:
        return bool(self._passing([ev], [search_text(ev)] if self.text else None, range(1)))

    def predicate(self) -> Callable[[CoreEvent], bool]:
        """accepts() with the filter as it is now, whatever changes later (a long export)."""
        frozen = EventFilter()
        for key in ("channel", "kind", "text", "hide_heartbeats", "hide_transcripts"):
            setattr(frozen, key, getattr(self, key))
        return frozen.accepts

    def _passing(
        self, events: Sequence[CoreEvent], hay: Sequence[str] | None, rows: Iterable[int]
    ) -> list[int]:
        """The rows (indexes into events) that pass, in order; the cheapest and most
        selective test first, each over what survived the previous one."""
        keep: Iterable[int] = rows
        if self.text and hay is not None:
            needle = self.text
            keep = [i for i in keep if needle in hay[i]]
        if self.channel:
            channel = self.channel
            keep = [i for i in keep if events[i].channel == channel]
        if self.kind:
            kind = self.kind
            keep = [i for i in keep if events[i].kind == kind]
        hidden: set[EventKind] = set()
        if self.hide_heartbeats:
            hidden |= HEARTBEAT_KINDS
        if self.hide_transcripts:
            hidden.add(EventKind.TRANSCRIPT)
        if hidden:
            keep = [i for i in keep if events[i].kind not in hidden]
        return keep if isinstance(keep, list) else list(keep)

    def _matching(self, first: int, last: int) -> list[int]:
        src = self._src
        if src is None:
            return []
        base = src.offset
        rows = self._passing(src._rows, src._hay, range(first, last + 1))
        return [base + r for r in rows]

    def _rebuild(self) -> None:
        self.beginResetModel()
        src = self._src
        self._shown = self._matching(0, src.rowCount() - 1) if src is not None else []
        self.rebuilds += 1
        self.endResetModel()

    def _source_inserted(self, parent: Index, first: int, last: int) -> None:
        new = self._matching(first, last)
        if new:
            at = len(self._shown)
            self.beginInsertRows(ROOT, at, at + len(new) - 1)
            self._shown.extend(new)
            self.endInsertRows()

    def _source_removed(self, parent: Index, first: int, last: int) -> None:
        """The model only trims from the front: drop what is now below its offset."""
        src = self._src
        assert src is not None and first == 0, "the event model only trims its oldest rows"
        gone = bisect_left(self._shown, src.offset)
        if gone:
            self.beginRemoveRows(ROOT, 0, gone - 1)
            del self._shown[:gone]
            self.endRemoveRows()

    # -- the table ------------------------------------------------------------------------
    def source_row(self, row: int) -> int:
        assert self._src is not None
        return self._shown[row] - self._src.offset

    def event_at(self, row: int) -> CoreEvent:
        assert self._src is not None
        return self._src.event_at(self.source_row(row))

    def rowCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: Index = ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if role not in ROLES or self._src is None:
            return None
        row = index.row()
        if not 0 <= row < len(self._shown):
            return None
        return self._src.value(self._shown[row] - self._src.offset, index.column(), role)
