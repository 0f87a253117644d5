"""Perf (issue 14): labels that tick many times a second repaint themselves, never relayout
their panel or the main window (the relayout storms bench/gui_lag.py found: up to 20 a
second per channel card, each repainting the scroll area's scrollbars and the dock)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow, QVBoxLayout, QWidget

from app.ui.statusbar import StatusBar
from app.ui.widgets import ElideLabel


class LayoutRequests(QObject):
    def __init__(self, watched: QWidget) -> None:
        super().__init__()
        self.count = 0
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _settle(qapp: QApplication) -> None:
    for _ in range(3):  # posted LayoutRequests, then what they post in turn
        qapp.sendPostedEvents()
        qapp.processEvents()


def test_elide_label_new_text_of_the_same_shape_does_not_relayout(qapp: QApplication) -> None:
    parent = QWidget()
    inner = QWidget(parent)  # the label's layout invalidates up to here, then posts to it
    QVBoxLayout(parent).addWidget(inner)
    label = ElideLabel("online 1.0 s")
    QVBoxLayout(inner).addWidget(label)
    parent.show()
    _settle(qapp)
    requests = LayoutRequests(parent)
    for i in range(20):
        label.setText(f"online {i}.{i} s, last frame {i * 7} ms ago")
    _settle(qapp)
    assert requests.count == 0
    assert label.text() == "online 19.19 s, last frame 133 ms ago"
    assert label.accessibleName() == label.text()  # a screen reader hears the new text
    label.setText("")  # another shape: a real QLabel.setText, which does relayout
    _settle(qapp)
    assert requests.count >= 1 and label.text() == "" and label.accessibleName() == ""
    parent.close()


def test_status_bar_lag_updates_do_not_relayout_the_window(qapp: QApplication) -> None:
    window = QMainWindow()
    bar = StatusBar("profile: test")
    window.setStatusBar(bar)
    window.show()
    _settle(qapp)
    requests = LayoutRequests(window)
    for lag in (0.1, 12.5, 1234.5, 3.0):
        bar.lag.setText(f"loop lag: {lag:.1f} ms (max 1235)")
    _settle(qapp)
    assert requests.count == 0
    window.close()
