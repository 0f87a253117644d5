"""Latency panel: ping RTT per channel and HTTP timings over time, drop/reconnect markers.

Samples go into numpy rings as events arrive; a 30 Hz timer pushes them to the plots only
when something changed, so a burst of events never turns into a burst of repaints.
"""

from __future__ import annotations

import csv
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.core.events import CoreEvent, EventKind
from app.ui.ring import Ring

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
FRAME_MS = 33  # ~30 Hz at most
MIN_SPAN = 30.0  # seconds: a wall-clock axis with fewer than that reads badly


class _Series:
    def __init__(self, plot: pg.PlotItem, name: str, color: str, symbols: bool, cap: int):
        self.ring = Ring(cap)
        self.curve = plot.plot(
            name=name,
            pen=pg.mkPen(color, width=1.5),
            symbol="o" if symbols else None,
            symbolSize=5,
            symbolBrush=color,
            symbolPen=None,
        )
        self.color = color
        self.dirty = False


@dataclass
class _Marker:
    wall: float
    lines: tuple[pg.InfiniteLine, pg.InfiniteLine]
    text: pg.TextItem


class LatencyPanel(QWidget):
    def __init__(self, capacity: int = 20_000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.view = pg.GraphicsLayoutWidget()
        self.rtt_plot = self._make_plot("ping RTT (ms)", 0)
        self.http_plot = self._make_plot("HTTP (ms)", 1)
        self.http_plot.setXLink(self.rtt_plot)
        self.rtt: dict[str, _Series] = {}
        self.http: dict[str, _Series] = {}
        self.markers: deque[_Marker] = deque()
        self._dropped: set[str] = set()
        self._dirty = False
        self.redraws = 0

        self.window_box = QComboBox()
        for label, secs in WINDOWS:
            self.window_box.addItem(label, secs)
        self.window_box.setCurrentIndex(0)
        self.window_box.currentIndexChanged.connect(self._mark_dirty)
        # follow the newest samples; panning or zooming by hand stops following
        self.follow = QCheckBox("follow", objectName="latencyFollow", checked=True)
        self.follow.toggled.connect(self._mark_dirty)
        for plot in (self.rtt_plot, self.http_plot):
            plot.getViewBox().sigRangeChangedManually.connect(
                lambda *_: self.follow.setChecked(False)
            )
        self.stats = QLabel("no samples yet")
        self.stats.setObjectName("latencyStats")
        self.stats.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.stats, 1)
        top.addWidget(self.window_box)
        top.addWidget(self.follow)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        self._apply_palette()

        self.timer = QTimer(self, interval=FRAME_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()
        self.stats_timer = QTimer(self, interval=500)
        self.stats_timer.timeout.connect(self.update_stats)
        self.stats_timer.start()

    def _make_plot(self, title: str, row: int) -> pg.PlotItem:
        plot = self.view.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
        plot.setLabel("left", title)
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setMenuEnabled(False)
        return plot

    # -- input ----------------------------------------------------------------------------
    def on_event(self, ev: CoreEvent) -> None:
        if ev.kind is EventKind.RTT:
            self.add_rtt(ev.channel, ev.wall, float(ev.data.get("rtt_ms", 0.0)))
        elif ev.kind is EventKind.HTTP and "ms" in ev.data:
            self.add_http(str(ev.data.get("what", "other")), ev.wall, float(ev.data["ms"]))
        elif ev.kind is EventKind.CLOSED:
            self._dropped.add(ev.channel)
            code = ev.data.get("code")
            label = f"drop {ev.channel} {code or ''}".strip()
            self.add_marker(ev.wall, label, "#d1242f", left=True)
        elif ev.kind is EventKind.ONLINE and ev.channel in self._dropped:
            self._dropped.discard(ev.channel)
            self.add_marker(ev.wall, f"reconnect {ev.channel}", "#2ea043")

    def add_rtt(self, channel: str, wall: float, value: float) -> None:
        s = self.rtt.get(channel)
        if s is None:
            color = RTT_COLORS.get(channel, "#8a8a8a")
            s = self.rtt[channel] = _Series(self.rtt_plot, channel, color, False, self.capacity)
        s.ring.append(wall, value)
        s.dirty = self._dirty = True

    def add_http(self, what: str, wall: float, value: float) -> None:
        s = self.http.get(what)
        if s is None:
            color = HTTP_COLORS.get(what, "#6e7781")
            s = self.http[what] = _Series(self.http_plot, what, color, True, self.capacity)
        s.ring.append(wall, value)
        s.dirty = self._dirty = True

    def add_marker(self, wall: float, label: str, color: str, left: bool = False) -> None:
        """A dashed line on both plots; its label sits at the top of the RTT plot, to the left
        of a drop and to the right of a reconnect, so the pair stays readable."""
        pen = pg.mkPen(color, width=1, style=pg.QtCore.Qt.PenStyle.DashLine)
        lines = (pg.InfiniteLine(wall, angle=90, pen=pen), pg.InfiniteLine(wall, angle=90, pen=pen))
        text = pg.TextItem(label, color=color, anchor=(1.0, 0.0) if left else (0.0, 0.0))
        text.setToolTip(label)
        self.rtt_plot.addItem(lines[0])
        self.http_plot.addItem(lines[1])
        self.rtt_plot.addItem(text, ignoreBounds=True)
        self.markers.append(_Marker(wall, lines, text))
        while len(self.markers) > MAX_MARKERS:  # bounded: old markers go
            old = self.markers.popleft()
            self.rtt_plot.removeItem(old.lines[0])
            self.http_plot.removeItem(old.lines[1])
            self.rtt_plot.removeItem(old.text)
        self._dirty = True

    def _mark_dirty(self) -> None:
        self._dirty = True

    # -- output ---------------------------------------------------------------------------
    def redraw(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        self.redraws += 1
        for s in (*self.rtt.values(), *self.http.values()):
            if s.dirty:
                s.dirty = False
                x, y = s.ring.arrays()
                s.curve.setData(x, y)
        if self.follow.isChecked():
            self._follow_newest()
        top = self.rtt_plot.viewRange()[1][1]
        for m in self.markers:
            m.text.setPos(m.wall, top)

    def _follow_newest(self) -> None:
        span = self.window_box.currentData()
        first = self._first_sample()
        if span and first is not None:
            # follow the newest data; never show minutes of empty axis before the first sample
            now = time.time()
            start = min(max(first, now - span), now - MIN_SPAN)
            self.rtt_plot.setXRange(start, now + max(now - start, 1.0) * 0.02, padding=0)
        else:
            self.rtt_plot.enableAutoRange(axis="x")
        for plot in (self.rtt_plot, self.http_plot):
            plot.enableAutoRange(axis="y")

    def _first_sample(self) -> float | None:
        firsts = [
            s.ring.arrays()[0][0] for s in (*self.rtt.values(), *self.http.values()) if len(s.ring)
        ]
        return float(min(firsts)) if firsts else None

    def update_stats(self) -> None:
        """One line per plot; the coloured squares double as the legend."""
        lines = []
        for title, group in (("ping", self.rtt), ("HTTP", self.http)):
            parts = []
            for name, s in group.items():
                pct = s.ring.percentiles(50, 95)
                if pct is None:
                    continue
                parts.append(
                    f"<span style='color:{s.color}'>■</span> {name} {s.ring.last or 0.0:.1f} "
                    f"<small>({pct[0]:.1f}/{pct[1]:.1f})</small>"
                )
            if parts:
                lines.append(f"<b>{title}</b> " + " &nbsp;".join(parts))
        if lines:
            self.stats.setText("<br>".join(lines) + " &nbsp;<small>ms: last (p50/p95)</small>")

    def stats_for(self, name: str) -> tuple[float | None, tuple[float, ...] | None]:
        s = self.rtt.get(name) or self.http.get(name)
        return (s.ring.last, s.ring.percentiles(50, 95)) if s else (None, None)

    def export_csv(self, path: str | Path) -> int:
        """Every sample held: kind, series, wall time, ms. Returns the row count."""
        rows = 0
        with open(path, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["kind", "series", "wall", "ms"])
            for kind, group in (("rtt", self.rtt), ("http", self.http)):
                for name, s in group.items():
                    x, y = s.ring.arrays()
                    for xi, yi in zip(x.tolist(), y.tolist(), strict=True):
                        out.writerow([kind, name, f"{xi:.6f}", f"{yi:.3f}"])
                        rows += 1
        return rows

    # -- palette --------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        pal = self.palette()
        self.view.setBackground(pal.color(QPalette.ColorRole.Base))
        fg = pal.color(QPalette.ColorRole.Text)
        for plot in (self.rtt_plot, self.http_plot):
            for axis in ("left", "bottom"):
                ax = plot.getAxis(axis)
                ax.setPen(fg)
                ax.setTextPen(fg)
