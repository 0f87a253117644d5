"""File > Record session…: the live core events and snapshots to a JSONL session file.

The Recorder (app.scenario.recording) listens to a hub. Ours is `BridgeHub`, fed by the
window's bridge, so recording follows whichever client the window shows (a Join on another
server, a scenario run) without being restarted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel

from app.core.events import CoreEvent, MeetingSnapshot
from app.scenario.recording import Recorder
from app.ui import lastdir
from app.ui.adapter import CoreBridge

if TYPE_CHECKING:
    from app.ui.parts import RecordingHost


class BridgeHub:
    """Hub-like view of the bridge: core events only (the window's own command and error
    lines have seq <= 0 and are left out). When a new client starts counting from 1 again,
    its seqs are shifted past the last one written, so `Session.timeline()` keeps the order."""

    def __init__(self, bridge: CoreBridge) -> None:
        self.bridge = bridge
        self.events = 0  # core events relayed (ping round trips included)
        self._offset = 0
        self._last_raw = 0
        self._last_out = 0

    def on_event(self, listener: Callable[[CoreEvent], None]) -> Callable[[], None]:
        def relay(ev: CoreEvent) -> None:
            if ev.seq <= 0:
                return
            if ev.seq <= self._last_raw:  # another client: its numbering starts over
                self._offset = self._last_out
            self._last_raw = ev.seq
            out = dataclasses.replace(ev, seq=ev.seq + self._offset) if self._offset else ev
            self._last_out = out.seq
            self.events += 1
            listener(out)

        self.bridge.event.connect(relay)
        return lambda: self._disconnect(self.bridge.event, relay)

    def on_snapshot(self, listener: Callable[[MeetingSnapshot], None]) -> Callable[[], None]:
        self.bridge.snapshot.connect(listener)
        return lambda: self._disconnect(self.bridge.snapshot, listener)

    @staticmethod
    def _disconnect(signal: object, slot: Callable[..., None]) -> None:
        with contextlib.suppress(RuntimeError, TypeError):  # bridge already gone at shutdown
            signal.disconnect(slot)  # type: ignore[attr-defined]


class RecordingControl(QObject):
    def __init__(self, window: RecordingHost) -> None:
        super().__init__(window)
        self.w = window
        self.recorder: Recorder | None = None
        self.hub: BridgeHub | None = None
        self.action: QAction | None = None  # the checkable menu entry (actions.py)
        self.label = QLabel("", objectName="statusRecording")
        self.label.setStyleSheet("color:#d1242f; font-weight:bold;")
        self.label.hide()
        window.status.addPermanentWidget(self.label)
        self._timer = QTimer(self, interval=500)  # the count, not one repaint per event
        self._timer.timeout.connect(self._update)

    @property
    def active(self) -> bool:
        return self.recorder is not None

    def toggle(self, on: bool) -> None:
        """The menu entry: on asks for a file (non-modal), off stops."""
        if on and not self.active:
            self._ask_path()
        elif not on and self.active:
            self.stop()

    def _ask_path(self) -> None:
        dlg = QFileDialog(self.w, "Record session to")
        dlg.setObjectName("recordDialog")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setDefaultSuffix("jsonl")
        dlg.setNameFilter("dcmon sessions (*.jsonl)")
        lastdir.start_in(dlg, "session")
        dlg.selectFile(time.strftime("dcmon-session-%Y%m%d-%H%M%S.jsonl"))
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.start)
        dlg.rejected.connect(lambda: self._sync_action())
        dlg.open()

    def start(self, path: str | Path) -> bool:
        if self.active:
            self.stop()
        session = self.w.session
        snap = session.snapshot
        server = session.backend.server if session.backend else (snap.server if snap else "-")
        self.hub = BridgeHub(self.w.bridge)
        try:
            self.recorder = Recorder(
                self.hub,
                path,
                server=server,
                profile=session.settings.profile,
                meeting=snap.meeting_id if snap else None,
            )
        except OSError as exc:
            self.hub = None
            session.report(f"Record session failed: cannot write {path}: {exc.strerror or exc}")
            self._sync_action()
            return False
        if snap is not None:
            self.recorder.snapshot(snap)  # the state as recording starts
        session.command(f"recording the session to {path}", "ui")
        self._timer.start()
        self._update()
        self.label.show()
        self._sync_action()
        return True

    def stop(self) -> None:
        recorder, hub = self.recorder, self.hub
        if recorder is None or hub is None:
            return
        self.recorder = self.hub = None
        recorder.close()
        self._timer.stop()
        self.label.hide()
        self._sync_action()
        self.w.session.command(f"recording stopped: {hub.events} events in {recorder.path}")
        self.w.status.showMessage(f"session saved to {recorder.path} ({hub.events} events)", 10000)

    def _update(self) -> None:
        if self.recorder is None or self.hub is None:
            return
        if self.recorder.error is not None:  # disk full, file gone: stop and say so
            error = self.recorder.error
            self.stop()
            self.w.session.report(error)
            return
        name = Path(self.recorder.path).name
        self.label.setText(f"recording → {name} ({self.hub.events} events)")
        self.label.setToolTip(self.recorder.path)

    def _sync_action(self) -> None:
        if self.action is not None and self.action.isChecked() != self.active:
            self.action.blockSignals(True)
            self.action.setChecked(self.active)
            self.action.blockSignals(False)
