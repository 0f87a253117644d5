"""Widgets that keep a laptop-sized window usable and cheap to repaint: the event log's
filter row that folds to two lines, and the latency legend that never re-lays out its panel."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint
from PySide6.QtWidgets import QApplication, QWidget

from app.core.events import CoreEvent, EventKind
from app.ui.panels.eventlog import EventLogPanel
from app.ui.panels.latency import LatencyPanel


def _top(w: QWidget, panel: QWidget) -> int:
    return w.mapTo(panel, QPoint(0, 0)).y()


def _dispose(w: QWidget) -> None:
    """Close and delete now: a shown top-level panel left to the garbage collector can be
    destroyed after the QApplication, a crash at interpreter exit."""
    w.close()
    w.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def _pump() -> None:
    for _ in range(3):
        QApplication.processEvents()


def test_the_log_filters_take_one_line_when_wide_and_two_when_narrow(qapp: QApplication) -> None:
    panel = EventLogPanel()
    row = panel.filter_row
    panel.resize(row.needed() + 60, 300)
    panel.show()
    _pump()
    half = panel.search.height() // 2
    assert row.one_line and abs(_top(panel.follow, panel) - _top(panel.search, panel)) < half
    one_line_height = row.height()
    panel.resize(row.needed() - 80, 300)
    _pump()
    assert row.one_line is False
    assert _top(panel.follow, panel) > _top(panel.search, panel) + half
    assert row.height() > one_line_height  # the second line is really there
    for w in (panel.heartbeats, panel.transcripts, panel.follow, panel.search):
        right = w.mapTo(row, QPoint(w.width(), 0)).x()
        assert right <= row.width(), w.objectName()  # nothing cut
    panel.resize(row.needed() + 60, 300)
    _pump()
    assert row.one_line  # and back
    _dispose(panel)


class _Layouts(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_a_new_legend_text_repaints_without_a_layout_pass(qapp: QApplication) -> None:
    panel = LatencyPanel()
    panel.resize(900, 300)
    panel.show()
    _pump()
    seen = _Layouts()
    watched = [panel, *panel.findChildren(QObject)]
    for w in watched:
        w.installEventFilter(seen)
    try:
        text = _legend_updates(panel)
    finally:
        for w in watched:  # the filter dies with this test: nothing may call it after
            w.removeEventFilter(seen)
        _dispose(panel)
    assert "default" in text and "20.0" in text
    assert seen.count == 0, f"{seen.count} layout requests for 20 legend updates"


def _legend_updates(panel: LatencyPanel) -> str:
    """Twenty RTT samples, each followed by the legend's update; the legend's last text."""
    for i in range(20):
        panel.on_event(
            CoreEvent(i, float(i), 1e9 + i, 1, "default", EventKind.RTT, "rtt", {"rtt_ms": 1.0 + i})
        )
        panel._stats_dirty = True
        panel.update_stats()
        _pump()
    return panel.stats.text()
