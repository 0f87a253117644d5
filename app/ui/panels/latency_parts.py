"""Pieces of the latency panel with no state of the panel's own: a plotted series, the
follow ranges, the plot factory and the placeholder that stands in until the plots exist."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel

if TYPE_CHECKING:
    import pyqtgraph as pg

    from app.ui.ring import Ring

MIN_SPAN = 30.0  # seconds: a wall-clock axis with fewer than that reads badly
X_STEPS = 20  # follow moves the time axis in steps of 1/20 of the window...
MIN_X_STEP = 5.0  # ...and never more often than every 5 s (an axis redraw costs ~5 ms)
MAX_BREAKS = 1000


class Series:
    def __init__(self, name: str, color: str, symbols: bool, cap: int) -> None:
        from app.ui.ring import Ring  # numpy: only once samples arrive

        self.name = name
        self.ring: Ring = Ring(cap)
        self.color = color
        self.symbols = symbols
        self.curve: pg.PlotDataItem | None = None  # once the plots exist
        self.dirty = False
        self.breaks: deque[float] = deque(maxlen=MAX_BREAKS)  # drops: no line across them

    def attach(self, plot: pg.PlotItem) -> None:
        import pyqtgraph as pg

        # HTTP calls are points: calls minutes apart joined by a line would read as a ramp
        self.curve = plot.plot(
            name=self.name,
            pen=None if self.symbols else pg.mkPen(self.color, width=1.5),
            symbol="o" if self.symbols else None,
            symbolSize=6,
            symbolBrush=self.color,
            symbolPen=None,
            connect="finite",
        )
        self.dirty = True

    def data(self) -> tuple[Any, Any]:
        """The ring, with a NaN at every drop so the line breaks over the outage."""
        import numpy as np

        x, y = self.ring.arrays()
        while self.breaks and x.size and self.breaks[0] < x[0]:
            self.breaks.popleft()  # older than anything held
        if not self.breaks or not x.size:
            return x, y
        walls = np.fromiter(self.breaks, dtype=np.float64)
        idx = np.searchsorted(x, walls)
        return np.insert(x, idx, walls), np.insert(y, idx, np.nan)


def apply_palette(plots: tuple[Any, pg.PlotItem, pg.PlotItem], pal: QPalette) -> None:
    """The window's colours on the plots (pyqtgraph has its own: black, or a light theme's)."""
    view, rtt_plot, http_plot = plots
    view.setBackground(pal.color(QPalette.ColorRole.Base))
    fg = pal.color(QPalette.ColorRole.Text)
    for plot in (rtt_plot, http_plot):
        for axis in ("left", "bottom"):
            ax = plot.getAxis(axis)
            ax.setPen(fg)
            ax.setTextPen(fg)


def stats_lines(groups: Iterable[tuple[str, dict[str, Series]]]) -> list[str]:
    """Rich-text legend lines, one per plot: each series' colour, last value and p50/p95."""
    lines = []
    for title, group in groups:
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
    return lines


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (and above 0)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * power >= value:
            return m * power
    return 10.0 * power


def follow_x_range(first: float, last: float, now: float, span: float) -> tuple[float, float]:
    """The x range "follow" shows: stepped, so it changes every few seconds, not per frame.

    span 0 means "all": from the first to the last sample (recorded sessions lie in the past);
    otherwise the last `span` seconds up to now, but never minutes of empty axis before the
    first sample.
    """
    newest = last if not span else now
    width = span or max(last - first, MIN_SPAN)
    step = max(width / X_STEPS, MIN_X_STEP)
    end = (math.floor(newest / step) + 1) * step  # the newest sample sits in the last step
    start = end - width if span else math.floor(first / step) * step
    start = min(max(start, math.floor(first / step) * step), end - MIN_SPAN)
    return start, end


def make_plot(view: pg.GraphicsLayoutWidget, title: str, row: int) -> pg.PlotItem:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGraphicsItem

    plot = view.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
    plot.setLabel("left", title)
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.setMenuEnabled(False)
    for axis in ("left", "bottom"):
        # replaying an axis's picture (text, grid) costs ~3 ms a frame; as a cached pixmap
        # it is a blit, redrawn only when the axis itself changes
        plot.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    return plot


class Placeholder(QLabel):
    """Stands where the plots will be; its first paint starts building them."""

    def __init__(self, on_painted: Any) -> None:
        super().__init__("latency plots load…")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setEnabled(False)  # greyed: nothing to interact with yet
        self._on_painted = on_painted

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._on_painted is not None:
            callback, self._on_painted = self._on_painted, None
            callback()


def numpy_max(values: Any) -> float:
    """The largest finite value (drops put NaN gaps into the drawn data), 0 if none."""
    import numpy as np

    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0
