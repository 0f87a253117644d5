"""Latency panel: ping RTT per channel and HTTP timings over time, drop/reconnect markers.

Samples go into numpy rings as events arrive; a 5 Hz timer pushes them to the plots only
when something changed. Painting is kept cheap: the axes (text and grid, ~3 ms each to
replay) are cached as pixmaps and only redrawn when their range changes, and "follow" moves
the ranges in steps (x: 1/20 of the window; y: 1-2-5 ceilings), not on every frame.

pyqtgraph and numpy cost ~0.5 s to import: the plots are built after the window's first
paint (or when first needed), so start-up shows the window without waiting for them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from app.core.events import CoreEvent, EventKind, MeetingSnapshot
from app.ui.frames import frames
from app.ui.panels.latency_cursor import ReviewCursor
from app.ui.panels.latency_export import Sample, SampleLog
from app.ui.panels.latency_marks import LabelRows, short_label
from app.ui.panels.latency_parts import (
    MIN_SPAN,
    Placeholder,
    Series,
    apply_palette,
    follow_x_range,
    make_plot,
    nice_ceiling,
    numpy_max,
    stats_lines,
)
from app.ui.widgets import FixedTextBox

if TYPE_CHECKING:
    import pyqtgraph as pg


RTT_COLORS = {"device": "#8a8a8a", "default": "#3b82f6", "practice": "#e8710a"}
HTTP_COLORS = {
    "token": "#a371f7",
    "register": "#2ea043",
    "keepalive": "#d9a400",
    "join": "#d1242f",
    "device": "#8a8a8a",
}
WINDOWS = (("last 1 min", 60.0), ("last 5 min", 300.0), ("last 15 min", 900.0), ("all", 0.0))
MAX_MARKERS = 60
FRAME_MS = 200  # at most 5 redraws a second: enough for samples that come every 0.25 s+
BUILD_FALLBACK_MS = 1500  # build the plots by then even if the panel was never painted
INJECT_COLOR = "#bf8700"  # a host action that changes the network or the tokens
CLEAR_COLOR = "#6e7781"


@dataclass
class _Marker:
    wall: float
    lines: tuple[pg.InfiniteLine, pg.InfiniteLine]
    text: pg.TextItem
    label: str = ""  # the whole text (the plot may show it shortened)
    row: int = 0  # label row, from the top
    left: bool = False  # the label's side of the line (flipped at the plot's edges)


class LatencyPanel(QWidget):
    def __init__(self, capacity: int = 20_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.rtt: dict[str, Series] = {}
        self.http: dict[str, Series] = {}
        self.markers: deque[_Marker] = deque()
        self._dropped: set[str] = set()
        self._dirty = False
        self._ranges: dict[str, tuple[float, float]] = {}  # what follow last set
        self._marker_top: float | None = None
        self.redraws = 0
        self.samples = SampleLog(capacity * 4)  # for the CSV: status, meeting, generation
        self.meeting: str | None = None  # the meeting samples belong to (set_snapshot)
        self._rows = LabelRows()
        self._cursor = ReviewCursor()  # review mode's moment
        self._labels_at: tuple[float, float] | None = None  # x range the labels were placed for
        self._plots: tuple[pg.GraphicsLayoutWidget, pg.PlotItem, pg.PlotItem] | None = None

        self.window_box = QComboBox()
        for label, secs in WINDOWS:
            self.window_box.addItem(label, secs)
        self.window_box.setCurrentIndex(0)
        self.window_box.currentIndexChanged.connect(self._mark_dirty)
        # follow the newest samples; panning or zooming by hand stops following
        self.follow = QCheckBox("follow", objectName="latencyFollow", checked=True)
        self.follow.toggled.connect(self._mark_dirty)
        self.stats = QLabel("no samples yet")
        self.stats.setObjectName("latencyStats")
        # no word wrap: a wrapped rich-text label re-lays its text out for every layout pass
        # (heightForWidth); clipped instead, the lines are short
        self._stats_dirty = False
        self.stats.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        top = QHBoxLayout()
        # perf (issue 14): the legend changes twice a second; at a fixed size its new text
        # repaints it without a layout pass of the whole panel
        top.addWidget(FixedTextBox(self.stats, lines=2), 1)
        top.addWidget(self.window_box)
        top.addWidget(self.follow)
        # until the plots are built: a plain label, painted with the window's first frame
        self.placeholder = Placeholder(self._build_soon)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.placeholder)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addLayout(self._stack, 1)

        # paced at FRAME_MS; the redraw itself waits for a frame slot of its own (frames.py)
        self.timer = QTimer(self, interval=FRAME_MS)
        self.timer.timeout.connect(self._redraw_due)
        self.timer.start()
        self.stats_timer = QTimer(self, interval=500)
        self.stats_timer.timeout.connect(self.update_stats)
        self.stats_timer.start()
        self._fallback = QTimer(self, singleShot=True, interval=BUILD_FALLBACK_MS)
        self._fallback.timeout.connect(self.ensure_plots)
        self._fallback.start()

    # -- the plots, built once --------------------------------------------------------------
    @property
    def built(self) -> bool:
        return self._plots is not None

    @property
    def view(self) -> pg.GraphicsLayoutWidget:
        return self.ensure_plots()[0]

    @property
    def rtt_plot(self) -> pg.PlotItem:
        return self.ensure_plots()[1]

    @property
    def http_plot(self) -> pg.PlotItem:
        return self.ensure_plots()[2]

    def _build_soon(self) -> None:
        """The placeholder was painted: build on the next loop turn, after that frame."""
        QTimer.singleShot(0, self, self.ensure_plots)

    def ensure_plots(self) -> tuple[pg.GraphicsLayoutWidget, pg.PlotItem, pg.PlotItem]:
        if self._plots is not None:
            return self._plots
        import pyqtgraph as pg

        self._fallback.stop()
        view = pg.GraphicsLayoutWidget()
        # short axis titles: on a laptop each plot is ~100 px high and a longer one overlaps
        rtt_plot = make_plot(view, "ping ms", 0)
        http_plot = make_plot(view, "HTTP ms", 1)
        # RTT is the live line; HTTP calls are points that need less height
        view.ci.layout.setRowStretchFactor(0, 3)
        view.ci.layout.setRowStretchFactor(1, 2)
        http_plot.setXLink(rtt_plot)
        # one time scale for both: its labels under the lower plot only (the upper keeps
        # its grid); half the text to lay out each time the range steps
        rtt_plot.getAxis("bottom").setStyle(showValues=False)
        self._plots = (view, rtt_plot, http_plot)
        for plot in (rtt_plot, http_plot):
            plot.getViewBox().sigRangeChangedManually.connect(
                lambda *_: self.follow.setChecked(False)
            )
        for s in self.rtt.values():
            s.attach(rtt_plot)
        for s in self.http.values():
            s.attach(http_plot)
        self._stack.addWidget(view)
        self._stack.setCurrentWidget(view)
        self._apply_palette()
        self._empty_ranges()
        self._dirty = True
        return self._plots

    def _empty_ranges(self) -> None:
        """Before any sample: clock times for the last minute, not pyqtgraph's 0..1 (which
        a time axis labels '00.100 … 00.900')."""
        if self._plots is None or any(
            len(s.ring) for s in (*self.rtt.values(), *self.http.values())
        ):
            return
        _, rtt_plot, http_plot = self._plots
        now = time.time()
        span = float(self.window_box.currentData() or 0.0) or 60.0
        rtt_plot.setXRange(now - span, now, padding=0)
        for plot in (rtt_plot, http_plot):
            plot.setYRange(0.0, 100.0, padding=0)

    # -- input ----------------------------------------------------------------------------
    def on_events(self, events: Iterable[CoreEvent]) -> None:
        for ev in events:
            self.on_event(ev)

    def set_snapshot(self, snap: MeetingSnapshot) -> None:
        """The meeting the next samples belong to (for the CSV)."""
        self.meeting = snap.meeting_id

    def on_event(self, ev: CoreEvent) -> None:
        if ev.kind is EventKind.RTT:
            ms = float(ev.data.get("rtt_ms", 0.0))
            self.add_rtt(ev.channel, ev.wall, ms)
            self.samples.add(
                Sample(ev.wall, "rtt", ev.channel, ms, None, self.meeting, ev.generation)
            )
        elif ev.kind is EventKind.HTTP and "ms" in ev.data:
            what, ms = str(ev.data.get("what", "other")), float(ev.data["ms"])
            self.add_http(what, ev.wall, ms)
            status = ev.data.get("status")
            status = status if isinstance(status, int) and not isinstance(status, bool) else None
            self.samples.add(Sample(ev.wall, "http", what, ms, status, self.meeting, ev.generation))
        elif ev.kind is EventKind.CLOSED:
            self._dropped.add(ev.channel)
            s = self.rtt.get(ev.channel)
            if s is not None:  # no line from the last ping before the drop to the next after
                s.breaks.append(ev.wall)
                s.dirty = True
            code = ev.data.get("code") or 1006  # no close frame: abnormal closure
            self.add_marker(ev.wall, f"drop {ev.channel} {code}", "#d1242f", left=True)
        elif ev.kind is EventKind.ONLINE and ev.channel in self._dropped:
            self._dropped.discard(ev.channel)
            self.add_marker(ev.wall, f"reconnect {ev.channel}", "#2ea043")
        elif ev.kind is EventKind.COMMAND and isinstance(ev.data.get("mark"), str):
            # a host injection (fault, latency, half-open, rotate, expire...), when applied
            mark = ev.data["mark"]
            color = CLEAR_COLOR if mark.startswith(("clear", "reset")) else INJECT_COLOR
            self.add_marker(ev.wall, mark, color, tip=ev.summary)
        elif ev.kind is EventKind.COMMAND and isinstance(ev.data.get("how"), str):
            # a client-side drop from a card (reset, half-open...): the injection itself
            self.add_marker(
                ev.wall, f"client {ev.data['how']} {ev.channel}", INJECT_COLOR, tip=ev.summary
            )

    def add_rtt(self, channel: str, wall: float, value: float) -> None:
        s = self.rtt.get(channel)
        if s is None:
            color = RTT_COLORS.get(channel, "#8a8a8a")
            s = self.rtt[channel] = Series(channel, color, False, self.capacity)
            if self._plots is not None:
                s.attach(self._plots[1])
        s.ring.append(wall, value)
        s.dirty = self._dirty = self._stats_dirty = True

    def add_http(self, what: str, wall: float, value: float) -> None:
        s = self.http.get(what)
        if s is None:
            color = HTTP_COLORS.get(what, "#6e7781")
            s = self.http[what] = Series(what, color, True, self.capacity)
            if self._plots is not None:
                s.attach(self._plots[2])
        s.ring.append(wall, value)
        s.dirty = self._dirty = self._stats_dirty = True

    def add_marker(
        self, wall: float, label: str, color: str, left: bool = False, tip: str = ""
    ) -> None:
        """A dashed line on both plots; its label sits at the top of the RTT plot, to the left
        of a drop and to the right of a reconnect, so the pair stays readable; labels close
        in time go to the next row down instead of over each other."""
        import pyqtgraph as pg

        _, rtt_plot, http_plot = self.ensure_plots()  # markers are rare: build now
        pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)
        lines = (pg.InfiniteLine(wall, angle=90, pen=pen), pg.InfiniteLine(wall, angle=90, pen=pen))
        x0, x1 = rtt_plot.viewRange()[0]
        row = self._rows.place(wall, x1 - x0, left)
        text = pg.TextItem(
            short_label(label), color=color, anchor=(1.0 if left else 0.0, -float(row))
        )
        text.setToolTip(f"{label}\n{tip}" if tip else label)
        rtt_plot.addItem(lines[0])
        http_plot.addItem(lines[1])
        rtt_plot.addItem(text, ignoreBounds=True)
        text.setPos(wall, self._marker_top or rtt_plot.viewRange()[1][1])
        self.markers.append(_Marker(wall, lines, text, label, row, left))
        self._labels_at = None  # place the labels again at the next redraw
        while len(self.markers) > MAX_MARKERS:  # bounded: old markers go
            old = self.markers.popleft()
            rtt_plot.removeItem(old.lines[0])
            http_plot.removeItem(old.lines[1])
            rtt_plot.removeItem(old.text)
        self._dirty = True

    def _mark_dirty(self) -> None:
        self._dirty = True
        self._ranges.clear()  # a new window or follow again: set the ranges afresh

    # -- output ---------------------------------------------------------------------------
    def _redraw_due(self) -> None:
        if self._dirty and self._plots is not None:
            frames().request(self.redraw)

    def redraw(self) -> None:
        """Push changed series to their curves (the timer asks, at most 5 times a second)."""
        frames().cancel(self.redraw)
        if not self._dirty or self._plots is None:
            return
        self._dirty = False
        self.redraws += 1
        for s in (*self.rtt.values(), *self.http.values()):
            if s.dirty and s.curve is not None:
                s.dirty = False
                x, y = s.data()
                s.curve.setData(x, y, connect="finite")
        if self.follow.isChecked():
            self._follow_newest()
        top = self._plots[1].viewRange()[1][1]
        if top != self._marker_top:  # labels ride at the top of the RTT plot
            self._marker_top = top
            for m in self.markers:
                m.text.setPos(m.wall, top)
        self.place_labels()

    def place_labels(self) -> None:
        """A label that would run off the plot's edge goes to the other side of its line
        (a marker at "now" has no room on its right)."""
        if self._plots is None or not self.markers:
            return
        vb = self._plots[1].getViewBox()
        x0, x1 = vb.viewRange()[0]
        if self._labels_at == (x0, x1):
            return
        self._labels_at = (x0, x1)
        per_px = (x1 - x0) / max(vb.width(), 1.0)
        for m in self.markers:
            width = m.text.textItem.boundingRect().width() * per_px
            left = m.left
            if not left and m.wall + width > x1:
                left = True
            elif left and m.wall - width < x0:
                left = False
            m.text.setAnchor((1.0 if left else 0.0, -float(m.row)))

    def _follow_newest(self) -> None:
        _, rtt_plot, http_plot = self.ensure_plots()
        span = float(self.window_box.currentData() or 0.0)
        series = [s for s in (*self.rtt.values(), *self.http.values()) if len(s.ring)]
        if not series:
            return
        first = min(float(s.ring.arrays()[0][0]) for s in series)
        last = max(float(s.ring.arrays()[0][-1]) for s in series)
        x0, x1 = follow_x_range(first, last, time.time(), span)
        self._set_range("x", rtt_plot, (x0, x1))  # the HTTP plot is x-linked
        for key, plot, group in (("rtt", rtt_plot, self.rtt), ("http", http_plot, self.http)):
            top = 0.0
            for s in group.values():
                x, y = s.ring.arrays()
                shown = y[x >= x0]
                if shown.size:
                    top = max(top, float(numpy_max(shown)))
            self._set_range(key, plot, (0.0, nice_ceiling(top * 1.1)))

    def _set_range(self, key: str, plot: pg.PlotItem, rng: tuple[float, float]) -> bool:
        """Set a range only when it changed: each change redraws that axis."""
        if self._ranges.get(key) == rng:
            return False
        self._ranges[key] = rng
        if key == "x":
            plot.setXRange(*rng, padding=0)
        else:
            plot.setYRange(*rng, padding=0)
        return True

    def update_stats(self) -> None:
        """One line per plot; the coloured squares double as the legend."""
        if not self._stats_dirty:
            return
        self._stats_dirty = False
        lines = stats_lines((("ping", self.rtt), ("HTTP", self.http)))
        if lines:
            self.stats.setText("<br>".join(lines) + " &nbsp;<small>ms: last (p50/p95)</small>")
            self.stats.setToolTip("<br>".join(lines))  # all of it, where the line is clipped

    def stats_for(self, name: str) -> tuple[float | None, tuple[float, ...] | None]:
        s = self.rtt.get(name) or self.http.get(name)
        return (s.ring.last, s.ring.percentiles(50, 95)) if s else (None, None)

    def export_csv(self, path: str | Path) -> int:
        """Every sample held, sorted by time: wall, time, kind, series, ms, HTTP status,
        meeting, generation. Returns the row count."""
        return self.samples.write_csv(path)

    # -- review: the moment shown ------------------------------------------------------------
    def set_cursor(self, wall: float | None) -> None:
        """A solid line at `wall` on both plots (review mode: the moment the panels show);
        the view moves to it when it is outside."""
        _, rtt_plot, http_plot = self.ensure_plots()
        if wall is None:
            self._cursor.remove(rtt_plot, http_plot)
            return
        self._cursor.place(wall, rtt_plot, http_plot)
        x0, x1 = rtt_plot.viewRange()[0]
        if not x0 <= wall <= x1:
            self.follow.setChecked(False)
            half = max((x1 - x0) / 2, MIN_SPAN / 2)
            rtt_plot.setXRange(wall - half, wall + half, padding=0)

    @property
    def cursor_at(self) -> float | None:
        return self._cursor.at

    # -- palette --------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        if self._plots is not None:
            apply_palette(self._plots, self.palette())
