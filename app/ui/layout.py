"""Where the docks go, sized for the screen the window is on (issue 12, item 3).

The default layout is computed, not replayed: the window is clamped to the screen's available
area, the docks are placed for that width (on a laptop the captions share a tab with the
latency plot instead of squeezing the event log) and sized by fractions of it. "Reset layout"
runs the same code for the screen the window is on now. A saved layout is restored only when
it was saved for a screen at least as large as this one and its window fits in it.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QDockWidget, QFrame, QMainWindow, QScrollArea

LAYOUT_VERSION = 2  # 1 was the fixed 1500x980 layout: never restored into the new one
PREFERRED = QSize(2560, 1440)  # a monitor tool: all of a laptop or a 1080p screen
WIDE = 1600  # from this width the captions sit beside the event log, below it in a tab
L, R = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
B = Qt.DockWidgetArea.BottomDockWidgetArea
# (title, area) in the order they are added; Scenario tabs with the host console
PLACES: tuple[tuple[str, Qt.DockWidgetArea], ...] = (
    ("Meeting", L),
    ("Tokens", L),
    ("Host console", L),
    ("Channels", R),
    ("Latency", R),
    ("Event log", B),
    ("Captions", B),
)
HIDDEN_BY_DEFAULT = ("Scenario",)  # shown when a run starts


class Docked(Protocol):
    docks: dict[str, QDockWidget]


def available(window: QMainWindow) -> QRect:
    screen = window.screen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)


def frame_margins(window: QMainWindow) -> QSize:
    """What the window manager adds around the client area (0 offscreen)."""
    if not window.isVisible():
        return QSize(0, 0)
    outer, inner = window.frameGeometry(), window.geometry()
    return QSize(max(outer.width() - inner.width(), 0), max(outer.height() - inner.height(), 0))


def fit_size(avail: QRect, margins: QSize = QSize(0, 0)) -> QSize:
    """The preferred size, clamped to the screen (minus the frame)."""
    return QSize(
        min(PREFERRED.width(), avail.width() - margins.width()),
        min(PREFERRED.height(), avail.height() - margins.height()),
    )


def place_docks(window: QMainWindow, docks: dict[str, QDockWidget], width: int) -> None:
    """Put every dock in its default area for a window `width` wide."""
    for title, area in PLACES:
        dock = docks[title]
        dock.setFloating(False)
        window.addDockWidget(area, dock)
        dock.show()
    if "Scenario" in docks:
        window.addDockWidget(L, docks["Scenario"])
        window.tabifyDockWidget(docks["Host console"], docks["Scenario"])
    if width >= WIDE:
        window.splitDockWidget(docks["Event log"], docks["Captions"], Qt.Orientation.Horizontal)
    else:
        # a laptop: the event log's filters and buttons need the whole bottom width
        window.tabifyDockWidget(docks["Latency"], docks["Captions"])
    adopt_extras(window, docks, width)
    for title in HIDDEN_BY_DEFAULT:
        if title in docks:
            docks[title].hide()


def adopt_extras(window: QMainWindow, docks: dict[str, QDockWidget], width: int) -> None:
    """Docks other modules register (Incidents, ...): a tab behind the captions, their
    content scrolling, so a tall panel never makes the window taller than a laptop screen."""
    known = {title for title, _ in PLACES} | set(HIDDEN_BY_DEFAULT)
    for title, dock in docks.items():
        if title in known:
            continue
        body = dock.widget()
        if body is not None and not isinstance(body, QAbstractScrollArea):
            scroll = QScrollArea(objectName=f"scroll_{dock.objectName()}", widgetResizable=True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            dock.setWidget(scroll)
            scroll.setWidget(body)
        dock.setFloating(False)
        window.addDockWidget(B, dock)
        window.tabifyDockWidget(docks["Captions"], dock)
    docks["Latency" if width < WIDE else "Captions"].raise_()


def size_docks(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    d, h, v = docks, Qt.Orientation.Horizontal, Qt.Orientation.Vertical
    w, ht = window.width(), window.height()
    left = 0.3 if w >= WIDE else 0.35
    window.resizeDocks([d["Meeting"], d["Channels"]], [int(w * left), int(w * (1 - left))], h)
    if w >= WIDE:
        window.resizeDocks([d["Event log"], d["Captions"]], [int(w * 0.45), int(w * 0.25)], h)
    # on a laptop the plots share their tab with the captions and need the height more
    right = (0.35, 0.31, 0.34) if w >= WIDE else (0.33, 0.39, 0.28)
    window.resizeDocks(
        [d["Channels"], d["Latency"], d["Event log"]], [int(ht * f) for f in right], v
    )
    window.resizeDocks(
        [d["Meeting"], d["Tokens"], d["Host console"]],
        [int(ht * 0.36), int(ht * 0.2), int(ht * 0.44)],
        v,
    )


def fits(saved: QSize, screen: QSize, avail: QRect) -> bool:
    """A saved layout comes back only on a screen at least as large as the one it was made
    for, with its window inside this screen."""
    return (
        saved.isValid()
        and screen.isValid()
        and avail.width() >= screen.width()
        and avail.height() >= screen.height()
        and saved.width() <= avail.width()
        and saved.height() <= avail.height()
    )


def save(window: QMainWindow, qsettings: QSettings) -> None:
    avail = available(window)
    qsettings.setValue("window/geometry", window.saveGeometry())
    qsettings.setValue("window/state", window.saveState(LAYOUT_VERSION))
    qsettings.setValue("window/size", window.size())
    qsettings.setValue("window/screen", avail.size())
    qsettings.sync()


def saved_layout(qsettings: QSettings, avail: QRect) -> tuple[QByteArray, QByteArray] | None:
    """(geometry, state) when a saved layout fits this screen, else None."""
    geometry, state = qsettings.value("window/geometry"), qsettings.value("window/state")
    size, screen = qsettings.value("window/size"), qsettings.value("window/screen")
    if not isinstance(geometry, QByteArray) or not isinstance(state, QByteArray):
        return None
    if not isinstance(size, QSize) or not isinstance(screen, QSize):
        return None  # saved by a version that did not record its screen
    return (geometry, state) if fits(size, screen, avail) else None
