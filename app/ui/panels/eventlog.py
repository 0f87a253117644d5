"""Event log panel: every core event, filterable, pausable, exportable (secrets redacted).

The search box applies SEARCH_MS after the last keystroke (Enter applies at once): a search
over 100k rows is a few ms, but not on every key of a word.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.events import CoreEvent
from app.ui.eventmodel import EventFilter, EventModel
from app.ui.redact import redact, redact_text

ALL = ""
SEARCH_MS = 200


class EventLogPanel(QWidget):
    def __init__(self, capacity: int = 100_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventModel(capacity, self)
        self.proxy = EventFilter(self)
        self.proxy.setSourceModel(self.model)
        self.csv_exporter: Callable[[str], int] | None = None  # latency samples (window wires)
        self._export_task: asyncio.Future[int] | None = None
        self._follow = True

        self.channel_box = QComboBox(objectName="logChannel")
        self.channel_box.addItem("all channels", ALL)
        self.kind_box = QComboBox(objectName="logKind")
        self.kind_box.addItem("all types", ALL)
        self.search = QLineEdit(placeholderText="search…  (Ctrl+F)", objectName="logSearch")
        self.search.setClearButtonEnabled(True)
        self.heartbeats = QCheckBox("hide heartbeats", objectName="hideHeartbeats")
        self.heartbeats.setChecked(True)
        self.transcripts = QCheckBox("hide transcripts", objectName="hideTranscripts")
        self.pause_button = QPushButton("Pause", objectName="logPause", checkable=True)
        self.export_button = QPushButton("Export JSONL…", objectName="logExport")
        self.csv_button = QPushButton("Latency CSV…", objectName="latencyExport")
        self.count = QLabel("", objectName="logCount")

        self.channel_box.currentIndexChanged.connect(self._filters_changed)
        self.kind_box.currentIndexChanged.connect(self._filters_changed)
        self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_MS)
        self._search_timer.timeout.connect(self._filters_changed)
        self.search.textChanged.connect(lambda _: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_search)
        self.heartbeats.toggled.connect(self._filters_changed)
        self.transcripts.toggled.connect(self._filters_changed)
        self.pause_button.toggled.connect(self.set_paused)
        self.export_button.clicked.connect(lambda: self._ask_path("jsonl"))
        self.csv_button.clicked.connect(lambda: self._ask_path("csv"))
        self.model.counts_changed.connect(self._refresh_choices)

        self.table = QTableView(objectName="eventTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for col, width in enumerate((92, 70, 90)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        bar = self.table.verticalScrollBar()
        self.proxy.rowsAboutToBeInserted.connect(
            lambda *_: setattr(self, "_follow", bar.value() >= bar.maximum() - 2)
        )
        self.proxy.rowsInserted.connect(self._maybe_follow)

        filters = QHBoxLayout()
        for w in (self.channel_box, self.kind_box):
            filters.addWidget(w)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.heartbeats)
        filters.addWidget(self.transcripts)
        tools = QHBoxLayout()
        tools.addWidget(self.count, 1)
        for w in (self.pause_button, self.export_button, self.csv_button):
            tools.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addLayout(tools)
        self._count_timer = QTimer(self, interval=500)
        self._count_timer.timeout.connect(self._update_count)
        self._count_timer.start()

    # -- input ----------------------------------------------------------------------------
    def on_event(self, ev: CoreEvent) -> None:
        self.model.add(ev)

    def on_events(self, events: Iterable[CoreEvent]) -> None:
        self.model.add_many(events)

    def apply_search(self) -> None:
        """Apply the search text now instead of after the typing pause."""
        self._filters_changed()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.model.set_paused(paused)
        self._update_count()

    def _filters_changed(self) -> None:
        self._search_timer.stop()  # whatever changed, the text in the box applies too
        self.proxy.set_filter(
            channel=self.channel_box.currentData() or None,
            kind=self.kind_box.currentData() or None,
            text=self.search.text(),
            hide_heartbeats=self.heartbeats.isChecked(),
            hide_transcripts=self.transcripts.isChecked(),
        )
        self._update_count()

    def _refresh_choices(self) -> None:
        for box, values in (
            (self.channel_box, self.model.channels),
            (self.kind_box, self.model.kinds),
        ):
            have = {box.itemData(i) for i in range(box.count())}
            for value in sorted(values - have):
                box.addItem(value, value)

    def _maybe_follow(self) -> None:
        if self._follow:
            self.table.scrollToBottom()

    def _update_count(self) -> None:
        waiting = len(self.model.pending)
        text = f"{self.model.total} events · {self.proxy.rowCount()} shown"
        if self.model.paused:
            text += f" · paused, {waiting} waiting"
        if self.model.trimmed:
            text += (
                f" · {self.model.trimmed} oldest on disk (export includes them; "
                f"{self.model.capacity} kept in view)"
            )
        self.count.setText(text)

    # -- export ---------------------------------------------------------------------------
    def _ask_path(self, what: str) -> None:
        """A non-modal file dialog (open(), never exec() under qasync)."""
        dlg = QFileDialog(self, "Export event log" if what == "jsonl" else "Export latency")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setDefaultSuffix(what)
        dlg.setNameFilter("JSON lines (*.jsonl)" if what == "jsonl" else "CSV (*.csv)")
        dlg.selectFile(f"dcmon-{'events' if what == 'jsonl' else 'latency'}.{what}")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(lambda path: self._export(what, path))
        dlg.open()

    def _export(self, what: str, path: str) -> None:
        if what == "jsonl":
            # a long log (spilled events included) takes seconds: in slices, window alive
            self._export_task = asyncio.ensure_future(self.export_jsonl_async(path))
            return
        if self.csv_exporter is None:
            return
        n = self.csv_exporter(path)
        self.count.setText(f"exported {n} rows to {path}")

    def export_jsonl(self, path: str | Path) -> int:
        """Events that pass the current filter (spilled and paused ones included), oldest
        first, one redacted JSON per line."""
        n = 0
        with open(path, "w", encoding="utf-8") as fh:
            for line in self._export_lines():
                fh.write(line)
                n += 1
        return n

    async def export_jsonl_async(self, path: str | Path, slice_s: float = 0.015) -> int:
        """export_jsonl, yielding to the loop every `slice_s` (what the menu uses)."""
        n = 0
        with open(path, "w", encoding="utf-8") as fh:  # noqa: ASYNC230 (local file, sliced)
            until = time.monotonic() + slice_s
            for line in self._export_lines():  # the events and the filter as they are now
                fh.write(line)
                n += 1
                if n % 50 == 0 and time.monotonic() >= until:
                    self.count.setText(f"exporting… {n} rows")
                    await asyncio.sleep(0)
                    until = time.monotonic() + slice_s
        self.count.setText(f"exported {n} rows to {path}")
        return n

    def _export_lines(self) -> Iterator[str]:
        accepts = self.proxy.predicate()
        for ev in self.model.all_events():
            if accepts(ev):
                yield json.dumps(redacted(ev), ensure_ascii=False) + "\n"


@functools.lru_cache(maxsize=256)
def _redact_name(text: str) -> str:
    return redact_text(text)  # channel and kind: a handful of values, redacted once each


def redacted(ev: CoreEvent) -> dict[str, Any]:
    """redact(ev.to_json()), field by field: the same result, faster on a long export (no
    walk over the numbers; the few channel and kind names redacted once each)."""
    out = ev.to_json()
    out["channel"] = _redact_name(out["channel"])
    out["kind"] = _redact_name(out["kind"])
    out["summary"] = redact_text(out["summary"])
    out["data"] = redact(out["data"], "data")
    return out
