"""The main window: dockable panels wired to the bridge (snapshots, events) and the session
(commands). Layout and options persist in QSettings; closing leaves the meeting cleanly.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QIcon, QShowEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QToolBar, QWidget

from app.core.events import MeetingSnapshot
from app.core.settings import Settings
from app.ui.actions import build_menus
from app.ui.adapter import CoreBridge
from app.ui.confirm import Confirmer
from app.ui.errors import readable
from app.ui.main import profile_label
from app.ui.panels.captions import CaptionsPanel
from app.ui.panels.channels import ChannelsPanel
from app.ui.panels.eventlog import EventLogPanel
from app.ui.panels.host import HostPanel
from app.ui.panels.latency import LatencyPanel
from app.ui.panels.meeting import MeetingPanel
from app.ui.panels.tokens import TokensPanel
from app.ui.recording_control import RecordingControl
from app.ui.resources import resource_path
from app.ui.review import ReviewMode
from app.ui.scenario_run import ScenarioRun
from app.ui.session import Backend, Session
from app.ui.statusbar import StatusBar
from app.ui.widgets import Banner

log = logging.getLogger("app.ui")
LAYOUT_VERSION = 1


class MainWindow(QMainWindow):
    def __init__(
        self,
        session: Session,
        qsettings: QSettings,
        profile_label: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.bridge: CoreBridge = session.bridge
        self.qsettings = qsettings
        self.closed: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._shutting_down = False
        self._shutdown_task: asyncio.Task[None] | None = None
        self.setWindowTitle("dcmon")
        self.setObjectName("dcmon")
        icon = resource_path("dcmon.svg") or resource_path("dcmon.png")
        if icon is not None:
            self.setWindowIcon(QIcon(str(icon)))
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )

        self.confirm = Confirmer(self, qsettings)
        self.meeting = MeetingPanel(session, qsettings)
        self.tokens = TokensPanel(session)
        self.channels = ChannelsPanel(session, self.confirm)
        self.latency = LatencyPanel()
        self.log = EventLogPanel()
        self.log.csv_exporter = self.latency.export_csv
        self.host = HostPanel(session)
        self.captions = CaptionsPanel()
        self.banner = Banner()
        self.status = StatusBar(profile_label)
        self.setStatusBar(self.status)

        bar = QToolBar("Messages", objectName="messagesBar", movable=False, floatable=False)
        bar.addWidget(self.banner)
        bar.toggleViewAction().setVisible(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)

        # the left column runs the full height; the log and captions sit under the right one
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.docks: dict[str, QDockWidget] = {}
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self._dock("Meeting", self.meeting, left)
        self._dock("Tokens", self.tokens, left)
        self._dock("Host console", self.host, left)
        self._dock("Channels", self.channels, right)
        self._dock("Latency", self.latency, right)
        self._dock("Event log", self.log, bottom)
        self._dock("Captions", self.captions, bottom)
        self.splitDockWidget(
            self.docks["Event log"], self.docks["Captions"], Qt.Orientation.Horizontal
        )
        self.docks["Host console"].hide()  # until the backend turns out to be the simulator
        self.scenario = ScenarioRun(self)
        self._dock("Scenario", self.scenario.panel, left)
        self.tabifyDockWidget(self.docks["Host console"], self.docks["Scenario"])
        self.docks["Scenario"].hide()  # until a scenario runs
        self.recording = RecordingControl(self)
        self.review = ReviewMode(self)
        self.resize(1500, 980)
        self._default_state: QByteArray | None = None  # taken once the window has a size
        self.actions_by_name = build_menus(self)
        self.update_modes()

        # the panels draw from the throttled snapshot and the batched events (adapter.py)
        self.bridge.shown_snapshot.connect(self.on_snapshot)
        self.bridge.events.connect(self.log.on_events)
        self.bridge.events.connect(self.latency.on_events)
        self.bridge.events.connect(self.captions.on_events)
        session.error.connect(self.banner.show_error)
        session.notice.connect(lambda text: self.status.showMessage(text, 8000))
        session.backend_changed.connect(self.on_backend)
        session.host_available.connect(self.set_host_available)
        self.restore_layout()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock
        return dock

    # -- wiring ---------------------------------------------------------------------------
    def on_snapshot(self, snap: MeetingSnapshot) -> None:
        self.meeting.set_snapshot(snap)
        self.tokens.set_snapshot(snap)
        self.channels.set_snapshot(snap)
        self.status.set_snapshot(snap)
        if self.review.active:  # the title names the file under review
            return
        title = f"dcmon · {snap.meeting_id} · {snap.badge}" if snap.meeting_id else "dcmon"
        self.setWindowTitle(title)

    @property
    def shown_log(self) -> EventLogPanel:
        """The log on screen: the review copy while reviewing (menu actions act on it)."""
        log = self.review.panels.get("Event log")
        return log if isinstance(log, EventLogPanel) else self.log

    def update_modes(self) -> None:
        """Live controls are off while reviewing; one scenario run or one review at a time."""
        reviewing, running = self.review.active, self.scenario.running
        acts = self.actions_by_name
        acts["run_scenario"].setEnabled(not reviewing and not running)
        acts["open_session"].setEnabled(not running)
        acts["back_to_live"].setEnabled(reviewing)
        for name in ("meeting_menu", "channels_menu"):
            acts[name].setEnabled(not reviewing)
            for act in acts[name].actions():  # a disabled menu may still take shortcuts
                act.setEnabled(not reviewing)
        # a Join during a run would replace the scenario's client under it
        acts["join"].setEnabled(not reviewing and not running)
        self.meeting.join_button.setEnabled(not running)
        self._enable_host(self.session.is_simulator)

    def on_backend(self, backend: Backend) -> None:
        self.status.set_backend(backend)

    def set_host_available(self, available: bool) -> None:
        self.docks["Host console"].setVisible(available)
        self.host.set_active(available)
        self.channels.set_host(available)
        self._enable_host(available)

    def _enable_host(self, available: bool) -> None:
        """Host controls: only on the simulator, and never while reviewing a recording."""
        on = available and not self.review.active
        self.host.setEnabled(not self.review.active)
        host_menu = self.actions_by_name.get("host_menu")
        if host_menu is not None:
            host_menu.setEnabled(on)
            for act in host_menu.actions():
                act.setEnabled(on)

    # -- layout ---------------------------------------------------------------------------
    def restore_layout(self) -> None:
        """Geometry now; the dock state once the default layout has been recorded."""
        geometry = self.qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._default_state is None:
            # dock sizes only mean something once the window has its real size
            QTimer.singleShot(0, self._first_layout)

    def _first_layout(self) -> None:
        if self._default_state is not None:
            return
        self.apply_default_sizes()
        self._default_state = self.saveState(LAYOUT_VERSION)  # what "Reset layout" returns to
        state = self.qsettings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)
            self.set_host_available(self.session.is_simulator)

    def apply_default_sizes(self) -> None:
        d, h, v = self.docks, Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        w, ht = self.width(), self.height()
        self.resizeDocks([d["Meeting"], d["Channels"]], [int(w * 0.3), int(w * 0.7)], h)
        self.resizeDocks([d["Event log"], d["Captions"]], [int(w * 0.45), int(w * 0.25)], h)
        self.resizeDocks(
            [d["Channels"], d["Latency"], d["Event log"]],
            [int(ht * 0.33), int(ht * 0.3), int(ht * 0.37)],
            v,
        )
        self.resizeDocks(
            [d["Meeting"], d["Tokens"], d["Host console"]],
            [int(ht * 0.36), int(ht * 0.14), int(ht * 0.5)],
            v,
        )

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.qsettings.sync()

    def reset_layout(self) -> None:
        if self._default_state is not None:
            self.restoreState(self._default_state, LAYOUT_VERSION)
        self.set_host_available(self.session.is_simulator)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self.status.start_lag_meter()

    def closeEvent(self, event: QCloseEvent) -> None:
        """First close: leave and stop everything asynchronously, then close for real."""
        if self.closed.done():
            event.accept()
            return
        event.ignore()
        if not self._shutting_down:
            self._shutting_down = True
            self.review.back_to_live()  # the saved layout is the live one
            self.scenario.stop()
            self.save_layout()
            self.status.showMessage("leaving the meeting and stopping…")
            self._shutdown_task = asyncio.ensure_future(self._shutdown())

    async def _shutdown(self) -> None:
        try:
            await self.session.shutdown()
        except Exception:  # the window must close whatever happened
            log.exception("shutdown failed")
        finally:
            self.recording.stop()  # after the leave, so the file ends with it
            self.status.stop_lag_meter()
            for timer in self.findChildren(QTimer):  # no panel ticks into a stopped session
                timer.stop()
            if not self.closed.done():
                self.closed.set_result(None)
            self.close()


def build_window(
    qsettings: QSettings, settings: Settings, user_token: str | None, **session_kw: Any
) -> MainWindow:
    """Bridge + session + window, with loop errors routed to the banner instead of stderr."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        # the asyncio side ends the program (after a clean shutdown), not Qt's last-window
        # rule: quitting Qt first would stop the loop under the still-running main coroutine
        app.setQuitOnLastWindowClosed(False)
    bridge = CoreBridge()
    session = Session(bridge, settings, user_token, **session_kw)
    window = MainWindow(session, qsettings, profile_label(settings))
    bridge.setParent(window)
    session.setParent(window)
    bridge.publish(MeetingSnapshot(server="-", profile=settings.profile))
    loop = asyncio.get_event_loop()

    def on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        try:
            if isinstance(exc, BaseException):
                session.report(readable("Background task", exc))
            else:
                session.report(f"Background task failed: {context.get('message', 'error')}")
        except RuntimeError:  # the window is already gone: stderr is all that is left
            pass
        loop.default_exception_handler(context)

    loop.set_exception_handler(on_loop_error)
    return window
