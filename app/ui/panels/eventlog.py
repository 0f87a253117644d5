"""Event log panel: every core event, filterable, pausable, exportable (secrets redacted)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

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
from app.ui.redact import redact

ALL = ""


class EventLogPanel(QWidget):
    def __init__(self, capacity: int = 100_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = EventModel(capacity, self)
        self.proxy = EventFilter(self)
        self.proxy.setSourceModel(self.model)
        self.csv_exporter: Callable[[str], int] | None = None  # latency samples (window wires)
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
        self.search.textChanged.connect(self._filters_changed)
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

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.model.set_paused(paused)
        self._update_count()

    def _filters_changed(self) -> None:
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
            text += f" · {self.model.trimmed} oldest dropped (keeps {self.model.capacity})"
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
            n = self.export_jsonl(path)
        elif self.csv_exporter is not None:
            n = self.csv_exporter(path)
        else:
            return
        self.count.setText(f"exported {n} rows to {path}")

    def export_jsonl(self, path: str | Path) -> int:
        """Events that pass the current filter (paused ones included), one JSON per line."""
        n = 0
        with open(path, "w", encoding="utf-8") as fh:
            for ev in self.model.all_events():
                if self.proxy.accepts(ev):
                    fh.write(json.dumps(redact(ev.to_json()), ensure_ascii=False) + "\n")
                    n += 1
        return n
