"""Regression guard for the PySide6 6.12.0 + Python 3.11 crash (TOOLCHAIN.md): thousands of
Python-overridden paint() calls on pyqtgraph items must not kill the interpreter."""

from __future__ import annotations

import time
from typing import Any

import pyqtgraph as pg

from app.ui.panels.latency import LatencyPanel

FRAMES = 2000


def test_latency_plots_survive_thousands_of_repaints(qtbot: Any, monkeypatch: Any) -> None:
    calls = 0
    original = pg.PlotCurveItem.paint

    def counting_paint(self: Any, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(self, *args)

    monkeypatch.setattr(pg.PlotCurveItem, "paint", counting_paint)
    panel = LatencyPanel(capacity=300)
    qtbot.addWidget(panel)
    panel.resize(360, 240)
    with qtbot.waitExposed(panel):  # repaint() of a window not yet exposed paints nothing
        panel.show()
    # fixed ranges (what "follow" off gives a user who zoomed in) and no axes: axis text
    # costs ~3 ms a frame offscreen and would only slow the test, not exercise anything new
    panel.follow.setChecked(False)
    t0 = time.time()
    for plot, top in ((panel.rtt_plot, 60), (panel.http_plot, 40)):
        plot.disableAutoRange()
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setRange(xRange=(t0, t0 + FRAMES * 0.05), yRange=(0, top), padding=0)
    painted = 0
    for i in range(FRAMES):
        wall = t0 + i * 0.05
        panel.add_rtt("default", wall, 5.0 + i % 40)
        panel.add_rtt("practice", wall, 7.0 + (i * 7) % 30)
        if i % 25 == 0:
            panel.add_http("token", wall, 20.0 + i % 13)
        if i % 200 == 0:
            panel.add_marker(wall, f"drop {i}", "#d1242f", left=True)
        panel.redraw()
        # synchronous paint: every visible pyqtgraph item runs its Python paint()
        panel.view.viewport().repaint()
        painted += 1
    assert painted == FRAMES and panel.redraws == FRAMES
    # really painted: two curves (plus the HTTP one) per frame, through Python paint()
    assert calls >= 2 * FRAMES
    # the rings kept only their capacity, oldest first
    x, _ = panel.rtt["default"].ring.arrays()
    assert len(x) == 300 and x[0] < x[-1] and x[-1] == t0 + (FRAMES - 1) * 0.05
    last, pct = panel.stats_for("default")
    assert last == 5.0 + (FRAMES - 1) % 40 and pct is not None
    assert len(panel.markers) <= 60
    # still alive and still drawing
    assert not panel.view.grab().isNull()
