"""The small interfaces the window's helpers need, so none of them imports the window.

`MainWindow` satisfies each of these structurally; the helpers (actions, recording control,
review, scenario run) take the one they need. A test builds the import graph and checks that
no helper module imports `app.ui.window` (the circle issue 12 found).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QDockWidget, QMenuBar, QStatusBar, QToolBar

    from app.core.events import MeetingSnapshot
    from app.ui.adapter import CoreBridge
    from app.ui.confirm import Confirmer
    from app.ui.panels.channels import ChannelsPanel
    from app.ui.panels.eventlog import EventLogPanel
    from app.ui.panels.host import HostPanel
    from app.ui.panels.meeting import MeetingPanel
    from app.ui.panels.tokens import TokensPanel
    from app.ui.session import Session


class _Active(Protocol):
    @property
    def active(self) -> bool: ...


class _Running(Protocol):
    @property
    def running(self) -> bool: ...


class RecordingHost(Protocol):
    """File > Record session: the session to record, the bridge it listens to, the status."""

    session: Session
    bridge: CoreBridge
    status: QStatusBar


class Shell(RecordingHost, Protocol):
    """What a helper that shows things in docks needs: the docks and a mode refresh."""

    docks: dict[str, QDockWidget]
    confirm: Confirmer

    def update_modes(self) -> None: ...


class ScenarioHost(Shell, Protocol):
    """File > Run scenario: also whether a recording is being reviewed."""

    review: _Active


class ReviewHost(Shell, Protocol):
    """File > Open session: also its own toolbar, the title, and the live snapshot."""

    qsettings: QSettings
    scenario: _Running

    def on_snapshot(self, snap: MeetingSnapshot) -> None: ...
    def setWindowTitle(self, title: str) -> None: ...
    def addToolBar(self, area: Qt.ToolBarArea, bar: QToolBar) -> None: ...
    def addToolBarBreak(self, area: Qt.ToolBarArea = ...) -> None: ...


class _Chooser(Protocol):
    def choose_file(self) -> None: ...


class _Review(_Chooser, _Active, Protocol):
    def back_to_live(self) -> None: ...


class _Recording(Protocol):
    action: QAction | None

    def toggle(self, on: bool) -> None: ...


class MenuHost(Shell, Protocol):
    """The menus (actions.py): the panels they drive and the helpers' entry points."""

    meeting: MeetingPanel
    tokens: TokensPanel
    channels: ChannelsPanel
    host: HostPanel
    scenario: _Chooser
    review: _Review
    recording: _Recording

    @property
    def shown_log(self) -> EventLogPanel: ...
    def reset_layout(self) -> None: ...
    def menuBar(self) -> QMenuBar: ...
    def close(self) -> bool: ...
