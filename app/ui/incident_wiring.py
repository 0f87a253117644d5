"""Issue 13 in the window: the Incidents panel, the action log, Save session as scenario,
Compare runs. `log_factories` (before the session exists) makes every client command and
host control the window issues an `Action`; `install` (once the window exists) docks the
panel and adds the menu entries.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from app.core.incidents import Action
from app.scenario.actionlog import ActionSink, LoggedClient, LoggedSim
from app.scenario.recording import Session, SessionFormatError
from app.ui.panels.incidents import IncidentsPanel, SpanHighlight
from app.ui.recording_control import BridgeHub
from app.ui.session_memory import SessionMemory

MainWindow = Any  # the window (never imported here: no circle, see parts.py)


def log_factories(session_kw: dict[str, Any]) -> ActionSink:
    """Wrap the session's client and simulator factories so their commands are logged."""
    from app.ui import session as ui_session

    sink = ActionSink()
    make_client = session_kw.get("client_factory", ui_session._default_client_factory)
    make_sim = session_kw.get("sim_factory", ui_session._default_sim_factory)
    session_kw["client_factory"] = lambda **kw: LoggedClient(make_client(**kw), sink)
    session_kw["sim_factory"] = lambda url: LoggedSim(make_sim(url), sink)
    return sink


class Issue13:
    """What issue 13 adds to one window (kept on it as `window.issue13`)."""

    def __init__(self, window: MainWindow, sink: ActionSink) -> None:
        self.w = window
        self.sink = sink
        self.panel = IncidentsPanel()
        self.highlight = SpanHighlight(
            lambda: window.review.panels.get("Latency") or window.latency
        )
        self.panel.span_selected.connect(self.highlight.show)
        window.bridge.events.connect(self.panel.on_events)
        sink.forward(self.panel.add_action)
        sink.forward(self._to_file_recording)
        # the live session, bounded: only what Save session as scenario reads (issue 14)
        self.memory = SessionMemory(
            BridgeHub(window.bridge), server="window", profile=window.session.settings.profile
        )
        sink.forward(self.memory.action)
        dock = QDockWidget("Incidents", window)
        dock.setObjectName("dock_incidents")
        dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        if "Captions" in window.docks:
            window.tabifyDockWidget(window.docks["Captions"], dock)
            window.docks["Captions"].raise_()
        window.docks["Incidents"] = dock
        self.dock = dock
        self.compare_views: list[Any] = []
        self._menus()
        # a recording under review (File > Open session) shows its own incidents
        self._reviewed: object = None
        self._review_timer = QTimer(self.panel, interval=300)
        self._review_timer.timeout.connect(self.sync_review)
        self._review_timer.start()

    def sync_review(self) -> None:
        review = self.w.review
        shown = review.recording if review.active and review.ready else None
        if shown is self._reviewed:
            return
        self._reviewed = shown
        if shown is None:
            self.panel.show_live()
        else:
            self.panel.load(shown.timeline(), shown.actions)

    def _to_file_recording(self, action: Action) -> None:
        recorder = self.w.recording.recorder
        if recorder is not None:
            recorder.action(action)

    def _menus(self) -> None:
        w = self.w
        bar = w.menuBar()
        file_menu = next(a.menu() for a in bar.actions() if a.text().replace("&", "") == "File")
        before = w.actions_by_name.get("export_log")
        save = QAction("Save session as scenario…", w)
        save.setShortcut(QKeySequence("Ctrl+Alt+S"))
        save.triggered.connect(lambda _=False: self.save_as_scenario())
        compare = QAction("Compare runs…", w)
        compare.triggered.connect(lambda _=False: self.open_compare())
        for act in (save, compare):
            file_menu.insertAction(before, act) if before else file_menu.addAction(act)
        w.actions_by_name["save_as_scenario"] = save
        w.actions_by_name["compare_runs"] = compare
        view = next((a.menu() for a in bar.actions() if a.text().replace("&", "") == "View"), None)
        if view is not None:
            view.insertAction(
                view.actions()[0] if view.actions() else None, self.dock.toggleViewAction()
            )

    # -- the live session as a recording --------------------------------------------------
    def live_session(self) -> Session:
        return self.memory.session()

    def save_as_scenario(self) -> Any:
        from app.ui.save_scenario import SaveScenarioDialog

        try:
            session = self.live_session()
        except SessionFormatError as exc:
            self.w.session.report(f"Save session as scenario failed: {exc}")
            return None
        if not session.actions:
            self.w.session.report(
                "Save session as scenario: nothing to save yet (no action taken in this session)"
            )
            return None
        dialog = SaveScenarioDialog(session, self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()  # not modal, never exec() under qasync
        return dialog

    def open_compare(self, a: str | None = None, b: str | None = None) -> Any:
        from app.ui.compare_view import CompareView

        view = CompareView(self.w)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.compare_views.append(view)
        view.destroyed.connect(lambda *_: self.compare_views.remove(view))
        if a:
            view.open_file("A", a)
        if b:
            view.open_file("B", b)
        view.show()
        return view


def install(window: MainWindow, sink: ActionSink) -> Issue13:
    extra = Issue13(window, sink)
    window.issue13 = extra  # type: ignore[attr-defined]
    return extra
