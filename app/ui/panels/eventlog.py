"""Event log panel: every core event, filterable, pausable, exportable (secrets redacted).

The search box applies SEARCH_MS after the last keystroke (Enter applies at once): a search
over 100k rows is a few ms, but not on every key of a word.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
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
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.events import CoreEvent
from app.ui import lastdir
from app.ui.eventmodel import EventFilter, EventModel
from app.ui.redact import redact, redact_text
from app.ui.widgets import ReflowRow

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

        self.channel_box = QComboBox(objectName="logChannel")
        self.channel_box.addItem("all channels", ALL)
        self.kind_box = QComboBox(objectName="logKind")
        self.kind_box.addItem("all types", ALL)
        self.search = QLineEdit(placeholderText="search…  (Ctrl+F)", objectName="logSearch")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)  # Escape clears it
        # follow the newest row; scrolling up stops following (like the plot), scrolling
        # back to the bottom or ticking the box follows again
        self.follow = QCheckBox("follow", objectName="logFollow", checked=True)
        self.follow.setToolTip("Keep the newest event in view (scroll up to stop)")
        self.heartbeats = QCheckBox("hide heartbeats", objectName="hideHeartbeats")
        self.heartbeats.setChecked(True)
        self.transcripts = QCheckBox("hide transcripts", objectName="hideTranscripts")
        self.pause_button = QPushButton("Pause", objectName="logPause", checkable=True)
        self.export_button = QPushButton("Export log…", objectName="logExport")
        self.export_button.setToolTip(
            "the rows shown (filters apply) as JSON lines, which File › Open session reopens, "
            "or CSV for a spreadsheet"
        )
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
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        bar = self.table.verticalScrollBar()
        self._programmatic_scroll = False
        bar.valueChanged.connect(self._scrolled)
        self.follow.toggled.connect(lambda on: self._scroll_to_end() if on else None)
        self.proxy.rowsInserted.connect(self._maybe_follow)
        # a filter change rebuilds the view: follow once the view has its new rows laid out
        self.proxy.modelReset.connect(lambda: QTimer.singleShot(0, self._maybe_follow))
        self.proxy.layoutChanged.connect(self._maybe_follow)
        bar.rangeChanged.connect(self._maybe_follow)

        filter_box = QWidget()
        filters = QHBoxLayout(filter_box)
        filters.setContentsMargins(0, 0, 0, 0)
        for w in (self.channel_box, self.kind_box):
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(8)
            filters.addWidget(w)
        filters.addWidget(self.search, 1)
        self.search.setMinimumWidth(160)
        checks = QWidget()
        filters2 = QHBoxLayout(checks)
        filters2.setContentsMargins(0, 0, 0, 0)
        filters2.addWidget(self.heartbeats)
        filters2.addWidget(self.transcripts)
        filters2.addWidget(self.follow)
        # one line where the log is wide enough, two on a laptop: every control stays whole
        self.filter_row = ReflowRow(filter_box, checks)
        tools = QHBoxLayout()
        tools.addWidget(self.count, 1)
        self.count.setMinimumWidth(40)
        self.count.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        for w in (self.pause_button, self.export_button, self.csv_button):
            tools.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.filter_row)
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
        """New channels and types join their list in alphabetical order (after "all")."""
        for box, values in (
            (self.channel_box, self.model.channels),
            (self.kind_box, self.model.kinds),
        ):
            have = {box.itemData(i) for i in range(box.count())}
            for value in sorted(values - have):
                at = 1
                while at < box.count() and str(box.itemData(at)) < value:
                    at += 1
                box.insertItem(at, value, value)

    # -- following ------------------------------------------------------------------------
    def set_follow(self, on: bool) -> None:
        self.follow.setChecked(on)
        if on:
            self._scroll_to_end()

    def _scrolled(self, value: int) -> None:
        """The user scrolled: up stops following, back to the very end follows again."""
        if self._programmatic_scroll:
            return
        bar = self.table.verticalScrollBar()
        at_end = value >= bar.maximum() - 1
        if self.follow.isChecked() != at_end:
            self.follow.blockSignals(True)
            self.follow.setChecked(at_end)
            self.follow.blockSignals(False)

    def _scroll_to_end(self) -> None:
        self._programmatic_scroll = True
        try:
            self.table.scrollToBottom()
        finally:
            self._programmatic_scroll = False

    def _maybe_follow(self, *_: object) -> None:
        if self.follow.isChecked():
            self._scroll_to_end()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            if isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
                self.search.clear()
                self.apply_search()
                return True
        return super().eventFilter(watched, event)

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
        """A non-modal file dialog (open(), never exec() under qasync). "jsonl": the event
        log (JSON lines or CSV, by the filter chosen); "csv": the latency samples."""
        log = what == "jsonl"
        dlg = QFileDialog(self, "Export event log" if log else "Export latency samples")
        dlg.setObjectName("logExportDialog" if log else "latencyExportDialog")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        if log:
            dlg.setNameFilters(
                ["JSON lines, reopens in File › Open session (*.jsonl)", "CSV (*.csv)"]
            )
            dlg.filterSelected.connect(
                lambda f: _export_kind(dlg, "csv" if "*.csv" in f else "jsonl")
            )
        else:
            dlg.setNameFilter("CSV (*.csv)")
        dlg.setDefaultSuffix("jsonl" if log else "csv")
        lastdir.start_in(dlg, "export")
        dlg.selectFile(f"dcmon-{'events.jsonl' if log else 'latency.csv'}")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(lambda path: self._export(what, path))
        dlg.open()

    def _export(self, what: str, path: str) -> None:
        if what == "jsonl":
            # a long log (spilled events included) takes seconds: in slices, window alive
            as_csv = path.lower().endswith(".csv")
            self._export_task = asyncio.ensure_future(self.export_jsonl_async(path, as_csv=as_csv))
            return
        if self.csv_exporter is None:
            return
        try:
            n = self.csv_exporter(path)
        except OSError as exc:
            self.count.setText(f"export failed: {exc.strerror or exc}")
            return
        self.count.setText(f"exported {n} latency samples, sorted by time — saved to {path}")

    def export_jsonl(self, path: str | Path) -> int:
        """Events that pass the current filter (spilled and paused ones included), oldest
        first, one redacted JSON per line."""
        n = 0
        with open(path, "w", encoding="utf-8") as fh:
            for line in self._export_lines():
                fh.write(line)
                n += 1
        return n

    def export_csv(self, path: str | Path) -> int:
        """The same rows as export_jsonl, as CSV (data as a JSON column)."""
        n = 0
        with open(path, "w", encoding="utf-8", newline="") as fh:
            for line in self._export_lines(as_csv=True):
                fh.write(line)
                n += 1
        return n - 1  # the header row

    async def export_jsonl_async(
        self, path: str | Path, slice_s: float = 0.015, as_csv: bool = False
    ) -> int:
        """export_jsonl (or export_csv), yielding to the loop every `slice_s` (what the
        menu uses); says how many of the log's rows it wrote, and where."""
        n = 0
        total = self.model.total
        with open(path, "w", encoding="utf-8", newline="") as fh:  # noqa: ASYNC230 (sliced)
            until = time.monotonic() + slice_s
            for line in self._export_lines(as_csv):  # the events and the filter as they are now
                fh.write(line)
                n += 1
                if n % 50 == 0 and time.monotonic() >= until:
                    self.count.setText(f"exporting… {n} rows")
                    await asyncio.sleep(0)
                    until = time.monotonic() + slice_s
        rows = n - 1 if as_csv else n
        self.count.setText(f"{export_summary(rows, total)} — saved to {path}")
        return rows

    def _export_lines(self, as_csv: bool = False) -> Iterator[str]:
        accepts = self.proxy.predicate()
        if as_csv:
            yield _csv_line(CSV_COLUMNS)
        for ev in self.model.all_events():
            if accepts(ev):
                if as_csv:
                    out = redacted(ev)
                    data = json.dumps(out.pop("data"), ensure_ascii=False)
                    yield _csv_line([*(out.get(c, "") for c in CSV_COLUMNS[:-1]), data])
                else:
                    yield json.dumps(redacted(ev), ensure_ascii=False) + "\n"


def _export_kind(dlg: QFileDialog, ext: str) -> None:
    """The filter chosen decides the format: the suggested name follows it."""
    dlg.setDefaultSuffix(ext)
    dlg.selectFile(f"dcmon-events.{ext}")


CSV_COLUMNS = ("seq", "t", "wall", "generation", "channel", "kind", "summary", "data")


def _csv_line(values: Iterable[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(list(values))
    return buf.getvalue()


def export_summary(rows: int, total: int) -> str:
    """'exported 12 of 340 rows (filtered)', or 'exported 340 rows' when nothing was left out."""
    if rows >= total:
        return f"exported {rows} rows"
    return f"exported {rows} of {total} rows (filtered)"


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
