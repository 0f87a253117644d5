"""Review mode's cursor on the latency plots: a solid line at the moment the panels show."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyqtgraph as pg

CURSOR_COLOR = "#0969da"


class ReviewCursor:
    """One line on each plot, at the same wall-clock time; absent until first placed."""

    def __init__(self) -> None:
        self.lines: tuple[pg.InfiniteLine, pg.InfiniteLine] | None = None

    @property
    def at(self) -> float | None:
        return None if self.lines is None else float(self.lines[0].value())

    def place(self, wall: float, rtt_plot: pg.PlotItem, http_plot: pg.PlotItem) -> None:
        import pyqtgraph as pg

        if self.lines is None:
            pen = pg.mkPen(CURSOR_COLOR, width=2)
            self.lines = (
                pg.InfiniteLine(wall, angle=90, pen=pen),
                pg.InfiniteLine(wall, angle=90, pen=pen),
            )
            rtt_plot.addItem(self.lines[0], ignoreBounds=True)
            http_plot.addItem(self.lines[1], ignoreBounds=True)
        for line in self.lines:
            line.setValue(wall)

    def remove(self, rtt_plot: pg.PlotItem, http_plot: pg.PlotItem) -> None:
        if self.lines is not None:
            rtt_plot.removeItem(self.lines[0])
            http_plot.removeItem(self.lines[1])
            self.lines = None
