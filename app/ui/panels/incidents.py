"""Incidents panel: one row per disruption of a channel; the selected one as a swim lane.

The rows come from `app.core.incidents` (the same derivation as the CLI and the reports),
fed with the bridge's events and the window's action log (causes). Selecting a row draws
its steps on lanes (cause, detect, backoff, token, register, connect, subscribe, captions)
with their times from the start, and asks the latency plot to highlight the span.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.events import CoreEvent
from app.core.incidents import LANES, Action, Incident, IncidentTracker, summarize

REFRESH_MS = 500
COLUMNS = ("#", "channel", "cause", "detection", "detect", "recover", "captions", "gap", "outcome")
LANE_COLORS = {
    "cause": "#8250df",
    "detect": "#d1242f",
    "backoff": "#bf8700",
    "token": "#a371f7",
    "register": "#2ea043",
    "connect": "#0969da",
    "subscribe": "#1a7f37",
    "captions": "#57606a",
}
OUTCOME_COLORS = {
    "recovered": "#1a7f37",
    "open": "#bf8700",
    "gave up": "#d1242f",
    "online, captions never resumed": "#d1242f",
}


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"


class SwimLane(QWidget):
    """The steps of one incident on one row per lane, times in ms from its start."""

    LEFT = 80  # lane names
    ROW = 22

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentSwimLane")
        self.incident: Incident | None = None
        self.setMinimumHeight(self.ROW * (len(LANES) + 2))

    def set_incident(self, incident: Incident | None) -> None:
        self.incident = incident
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fg = pal.color(QPalette.ColorRole.Text)
        p.fillRect(self.rect(), pal.color(QPalette.ColorRole.Base))
        inc = self.incident
        if inc is None:
            p.setPen(fg)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "select an incident")
            p.end()
            return
        t0 = inc.start
        span = max((s.end or s.wall) for s in inc.steps) - t0 if inc.steps else 0.0
        span = max(span, 0.001) * 1.08
        width = max(self.width() - self.LEFT - 16, 50)

        def x(wall: float) -> float:
            return self.LEFT + (wall - t0) / span * width

        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1, 6))
        p.setFont(small)
        grid = QColor(fg)
        grid.setAlpha(40)
        for n, lane in enumerate(LANES):  # lane names and guide lines
            y = self.ROW * (n + 1)
            p.setPen(fg)
            p.drawText(QRectF(4, y - self.ROW / 2, self.LEFT - 8, self.ROW), lane)
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(self.LEFT, y), QPointF(self.LEFT + width, y))
        axis_y = self.ROW * (len(LANES) + 1)
        p.setPen(fg)
        for k in range(6):  # a time axis, ms from the start
            wall = t0 + span * k / 5
            p.drawText(QPointF(x(wall) - 10, axis_y), f"{(wall - t0) * 1000:.0f}")
        p.drawText(QPointF(self.LEFT + width - 10, axis_y + 12), "ms")
        last_label_end: dict[str, float] = {}
        placed: dict[str, list[tuple[float, float, bool]]] = {}
        for step in inc.steps:
            row = LANES.index(step.lane) if step.lane in LANES else len(LANES) - 1
            y = self.ROW * (row + 1)
            color = QColor(LANE_COLORS.get(step.lane, "#57606a"))
            if not step.ok:
                color = QColor("#d1242f")
            p.setPen(QPen(color, 2))
            p.setBrush(color)
            x0 = x(step.wall)
            if step.end is not None and step.end > step.wall:
                p.drawRect(QRectF(x0, y - 4, max(x(step.end) - x0, 2), 8))
            else:
                p.drawEllipse(QPointF(x0, y), 4, 4)
            label = f"{step.label} {(step.wall - t0) * 1000:.0f}"
            advance = p.fontMetrics().horizontalAdvance(label)
            lx = max(x0 + 6, last_label_end.get(step.lane, 0))
            if lx + advance > self.width() - 2:  # near the right edge: to the left of it
                lx = max(self.LEFT, min(x0 - 6, self.width() - 2) - advance)
            # two label rows per lane (above, below the line): neighbours never overprint
            taken = placed.setdefault(step.lane, [])
            below = any(a < lx + advance and lx < b for a, b, low in taken if not low)
            taken.append((lx, lx + advance, below))
            p.setPen(fg)
            p.drawText(QPointF(lx, y + 13 if below else y - 6), label)
            last_label_end[step.lane] = lx + advance + 6
        p.end()


class IncidentsPanel(QWidget):
    span_selected = Signal(float, float)  # wall start, end of the selected incident

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = IncidentTracker()  # always fed, even while a recording is shown
        self.tracker = self.live  # the one on screen
        self.incidents: list[Incident] = []
        self.summary = QLabel("no incidents yet", objectName="incidentSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), objectName="incidentTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)
        self.lanes = SwimLane()
        self.detail = QLabel("", objectName="incidentDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lower = QWidget()
        lower_lay = QVBoxLayout(lower)
        lower_lay.setContentsMargins(0, 0, 0, 0)
        lower_lay.addWidget(self.detail)
        lower_lay.addWidget(self.lanes, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(1, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        self._dirty = False
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    # -- input ----------------------------------------------------------------------------
    def on_events(self, events: Iterable[CoreEvent]) -> None:
        for ev in events:
            self.live.feed(ev)
            if not ev.heartbeat and self.tracker is self.live:
                self._dirty = True

    def add_action(self, action: Action) -> None:
        self.live.add_action(action)
        self._dirty = self._dirty or self.tracker is self.live

    def load(self, events: Iterable[CoreEvent], actions: Iterable[Action] = ()) -> None:
        """Show a finished session (a recording under review) instead of the live one."""
        tracker = IncidentTracker()
        for a in actions:
            tracker.add_action(a)
        for ev in sorted(events, key=lambda e: (e.wall, e.seq)):
            tracker.feed(ev)
        tracker.finish()
        self.tracker = tracker
        self._dirty = True
        self.table.clearSelection()
        self.refresh()

    def show_live(self) -> None:
        if self.tracker is not self.live:
            self.tracker = self.live
            self._dirty = True
            self.table.clearSelection()
            self.refresh()

    # -- output ---------------------------------------------------------------------------
    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        selected = self.selected_number()
        self.incidents = self.tracker.incidents()
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.incidents))
        for row, inc in enumerate(self.incidents):
            gap = _ms(inc.gap_ms) + (f" (~{inc.captions_lost} lost)" if inc.captions_lost else "")
            cells = (
                str(inc.number),
                inc.channel,
                inc.cause.describe() if inc.cause else "?",
                inc.detection,
                _ms(inc.detect_ms),
                _ms(inc.recover_ms),
                _ms(inc.captions_ms),
                gap,
                inc.outcome,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(inc.cause_text() if col == 2 else text)
                if col == 8:
                    item.setForeground(QColor(OUTCOME_COLORS.get(inc.outcome, "#57606a")))
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        s = summarize(self.incidents)
        f = s.figures
        self.summary.setText(
            f"<b>{s.count} incidents</b> ({s.recovered} recovered) · "
            f"detect p50/p95 {_ms(f['detect-p50'])} / {_ms(f['detect-p95'])} · "
            f"recover {_ms(f['recover-p50'])} / {_ms(f['recover-p95'])} · "
            f"captions again {_ms(f['captions-p50'])} / {_ms(f['captions-p95'])} · "
            f"worst gap {_ms(s.worst_gap_ms)}"
            if s.count
            else "no incidents yet"
        )
        if selected is not None and selected <= len(self.incidents):
            self.select(selected)
        elif self.lanes.incident is not None and self.incidents:
            self.lanes.set_incident(self.incidents[-1])

    def selected_number(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() + 1 if rows else None

    def select(self, number: int) -> None:
        self.table.selectRow(number - 1)
        self._selected()

    def _selected(self) -> None:
        number = self.selected_number()
        if number is None or number > len(self.incidents):
            self.lanes.set_incident(None)
            self.detail.setText("")
            return
        inc = self.incidents[number - 1]
        self.lanes.set_incident(inc)
        retries = ", ".join(f"{d:g} s" for d in inc.retries) or "none"
        self.detail.setText(
            f"<b>incident {inc.number}, {inc.channel}</b>: {inc.detection}<br>"
            f"cause: {inc.cause_text()}<br>"
            f"backoff waits: {retries} · token fetches {inc.token_fetches} "
            f"(failed {inc.token_failures}) · registrations {inc.registrations} "
            f"(refused {inc.refusals}) · frames lost {inc.frames_lost} · "
            f"duplicated captions {inc.duplicates}"
        )
        self.span_selected.emit(inc.start, inc.end)


class SpanHighlight:
    """The selected incident's span as a shaded region on the latency panel's plots (the
    one on screen: `latency` may be a callable returning the live or the review panel)."""

    def __init__(self, latency: object) -> None:
        self.latency = latency
        self.regions: list[object] = []
        self._on: object = None  # the panel the regions belong to

    def show(self, start: float, end: float) -> None:
        import pyqtgraph as pg

        latency = self.latency() if callable(self.latency) else self.latency
        if latency is not self._on:  # another panel (review or back to live): new regions
            self.regions, self._on = [], latency
        plots = (latency.rtt_plot, latency.http_plot)  # type: ignore[attr-defined]
        if not self.regions:
            brush = pg.mkBrush(232, 113, 10, 50)
            for plot in plots:
                region = pg.LinearRegionItem((start, end), movable=False, brush=brush)
                region.setZValue(-10)
                plot.addItem(region, ignoreBounds=True)
                self.regions.append(region)
        for region in self.regions:
            region.setRegion((start, end))  # type: ignore[attr-defined]
        pad = max((end - start) * 0.5, 2.0)
        latency.follow.setChecked(False)  # type: ignore[attr-defined]  # stay on the span
        plots[0].setXRange(start - pad, end + pad, padding=0)

    def region(self) -> tuple[float, float] | None:
        if not self.regions:
            return None
        lo, hi = self.regions[0].getRegion()  # type: ignore[attr-defined]
        return float(lo), float(hi)
