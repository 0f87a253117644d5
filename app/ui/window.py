"""The main window: a composition of dockable panels wired to the bridge (snapshots, events)
and the session (commands). Layout (layout.py) and options persist in QSettings; closing
leaves the meeting cleanly. The helpers (menus, recording, review, scenario runs) take the
small interfaces of parts.py, never this class.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QByteArray, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QIcon, QShowEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QToolBar, QWidget

from app.core.events import MeetingSnapshot
from app.core.settings import Settings
from app.ui import lastdir, layout, modes
from app.ui.actions import build_menus
from app.ui.adapter import CoreBridge
from app.ui.confirm import Confirmer
from app.ui.errors import readable
from app.ui.fmt import profile_label
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
LAYOUT_VERSION = layout.LAYOUT_VERSION


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
        lastdir.use_settings(qsettings)  # file dialogs start where the last one ended
        self.closed: asyncio.Future[None] = asyncio.get_event_loop().create_future()
        self._shutting_down = False
        self._shutdown_task: asyncio.Task[None] | None = None
        self.setWindowTitle("")  # the application display name ("dcmon") is the title
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
        banner_action = bar.addWidget(self.banner)
        bar.toggleViewAction().setVisible(False)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.messages_bar, self._banner_action = bar, banner_action
        self.banner.shown.connect(self._show_messages)
        self._show_messages(False)

        # the left column runs the full height; the log and captions sit under the right one
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.docks: dict[str, QDockWidget] = {}
        panels = {
            "Meeting": self.meeting,
            "Tokens": self.tokens,
            "Host console": self.host,
            "Channels": self.channels,
            "Latency": self.latency,
            "Event log": self.log,
            "Captions": self.captions,
        }
        for title, panel in panels.items():
            self._dock(title, panel)
        self.scenario = ScenarioRun(self)
        self._dock("Scenario", self.scenario.panel)
        self.recording = RecordingControl(self)
        self.review = ReviewMode(self)
        self.resize(layout.fit_size(layout.available(self)))
        layout.place_docks(self, self.docks, self.width())
        self.docks["Host console"].hide()  # until the backend turns out to be the simulator
        self._default_state: QByteArray | None = None  # taken once the window has a size
        self.actions_by_name = build_menus(self)
        self.update_modes()

        # the panels draw from the throttled snapshot and the batched events (adapter.py)
        self.bridge.shown_snapshot.connect(self.on_snapshot)
        self.bridge.shown_snapshot.connect(self.latency.set_snapshot)  # CSV: the meeting
        self.bridge.events.connect(self.log.on_events)
        self.bridge.events.connect(self.latency.on_events)
        self.bridge.events.connect(self.captions.on_events)
        self.bridge.events.connect(self.channels.on_events)
        session.error.connect(self.banner.show_error)
        session.notice.connect(lambda text: self.status.showMessage(text, 8000))
        session.backend_changed.connect(self.on_backend)
        session.host_available.connect(self.set_host_available)
        self._saved = layout.saved_layout(qsettings, layout.available(self))
        if self._saved is not None:
            self.restoreGeometry(self._saved[0])

    def _show_messages(self, on: bool) -> None:
        # an empty toolbar is still a blank band across the window: it goes with the banner
        # (the action, not the widget: a toolbar lays out the widgets of visible actions)
        self.messages_bar.setVisible(on)
        self._banner_action.setVisible(on)

    def _dock(self, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        self.docks[title] = dock
        return dock

    # -- wiring ---------------------------------------------------------------------------
    def on_snapshot(self, snap: MeetingSnapshot) -> None:
        self.meeting.set_snapshot(snap)
        self.tokens.set_snapshot(snap)
        self.channels.set_snapshot(snap)
        self.status.set_snapshot(snap)
        self.update_modes()
        if self.review.active:  # the title names the file under review
            return
        # Qt appends the application name ("— dcmon"): the title says only what is new
        self.setWindowTitle(f"{snap.meeting_id} · {snap.badge}" if snap.meeting_id else "")

    @property
    def shown_log(self) -> EventLogPanel:
        """The log on screen: the review copy while reviewing (menu actions act on it)."""
        log = self.review.panels.get("Event log")
        return log if isinstance(log, EventLogPanel) else self.log

    def update_modes(self) -> None:
        """Live controls are off while reviewing; one scenario run or one review at a time."""
        modes.apply(self)
        running = self.scenario.running
        self.meeting.set_blocked("a scenario is running" if running else "")

    def on_backend(self, backend: Backend) -> None:
        self.status.set_backend(backend)

    def set_host_available(self, available: bool) -> None:
        self.docks["Host console"].setVisible(available)
        self.host.set_active(available)
        self.channels.set_host(available)
        modes.enable_host(self, available)

    # -- layout ---------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._default_state is None:
            # dock sizes only mean something once the window has its real size
            QTimer.singleShot(0, self._first_layout)

    def _first_layout(self) -> None:
        if self._default_state is not None:
            return
        layout.adopt_extras(self, self.docks, self.width())  # docks added after __init__
        if self._saved is None and not self.isMaximized():  # a tall late dock grew it
            self.resize(layout.fit_size(layout.available(self), layout.frame_margins(self)))
        layout.size_docks(self, self.docks)
        self._default_state = self.saveState(LAYOUT_VERSION)
        if self._saved is not None:
            self.restoreState(self._saved[1], LAYOUT_VERSION)
            self.set_host_available(self.session.is_simulator)
            self._show_messages(self.banner.count > 0)  # the saved state holds it too

    def apply_default_sizes(self) -> None:
        layout.size_docks(self, self.docks)

    def save_layout(self) -> None:
        layout.save(self, self.qsettings)

    def reset_layout(self, avail: QRect | None = None) -> None:
        """The default layout for the screen the window is on now (or `avail`)."""
        avail = avail or layout.available(self)
        if self.isMaximized() or self.isFullScreen():
            self.showNormal()
        size = layout.fit_size(avail, layout.frame_margins(self))
        self.resize(size)
        if self.isVisible():
            self.move(avail.topLeft())
        layout.place_docks(self, self.docks, size.width())
        if self.scenario.running:
            self.docks["Scenario"].show()
        self.set_host_available(self.session.is_simulator)
        layout.size_docks(self, self.docks)

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
    from app.ui import client_selector  # which client Join makes (app/clients)

    selector = None
    if "client_factory" not in session_kw:  # a caller's own factory (tests) wins
        selector = client_selector.ClientSelector(qsettings)
        session_kw["client_factory"] = selector.factory
    from app.ui import incident_wiring  # issue 13: incidents, save as scenario, compare

    actions = incident_wiring.log_factories(session_kw)  # commands become Actions
    session = Session(bridge, settings, user_token, **session_kw)
    window = MainWindow(session, qsettings, profile_label(settings))
    incident_wiring.install(window, actions)
    if selector is not None:
        client_selector.install(window, selector)
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
