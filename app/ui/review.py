"""File > Open session…: a saved session reviewed offline, like a webrtc-internals dump.

Review swaps fresh, read-only copies of the Meeting, Tokens, Channels, Latency, Event log and
Captions panels into their docks; the live panels stay alive (hidden) and keep receiving the
live client's events, so "Back to live" shows them exactly as they would be. A banner says
what is being reviewed; the live controls (Meeting, Channels and Host menus, the host
console, Run scenario) are off meanwhile. Loading and filling yield to the loop every few
thousand lines, so a big file never freezes the window.
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QToolBar,
    QWidget,
)

from app.core.events import CoreEvent
from app.scenario.recording import Session, SessionFormatError
from app.ui import lastdir
from app.ui.fmt import clock, wall_clock
from app.ui.panels.captions import CaptionsPanel
from app.ui.panels.channels import ChannelsPanel
from app.ui.panels.eventlog import EventLogPanel
from app.ui.panels.latency import WINDOWS, LatencyPanel
from app.ui.panels.meeting import MeetingPanel
from app.ui.panels.tokens import TokensPanel
from app.ui.review_data import Pacer, load_in_chunks, snapshot_from_json

if TYPE_CHECKING:
    from app.ui.parts import ReviewHost


class ReviewBar(QToolBar):
    """'Reviewing <file> (recorded <date>) — live controls disabled' and Back to live."""

    def __init__(self) -> None:
        super().__init__("Review", objectName="reviewBar", movable=False, floatable=False)
        self.toggleViewAction().setVisible(False)
        box = QWidget(objectName="reviewBanner")
        box.setStyleSheet(
            "#reviewBanner { background: #0969da; border-radius: 4px; }"
            "#reviewBanner QLabel { color: white; }"
        )
        self.text = QLabel("", objectName="reviewText")
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warning = QLabel("", objectName="reviewWarning", wordWrap=True)
        self.warning.setStyleSheet("color: #ffd866; font-weight: bold;")
        self.warning.hide()
        self.back = QPushButton("Back to live", objectName="backToLive")
        # the moment the Meeting, Tokens, Channels panels and the plot's cursor show
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="reviewSlider")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setMinimumWidth(160)
        self.slider.setToolTip("the moment shown; selecting a log row moves it there too")
        self.at = QLabel("", objectName="reviewAt")
        lay = QHBoxLayout(box)
        lay.setContentsMargins(8, 2, 4, 2)
        lay.addWidget(self.text)
        lay.addWidget(self.warning, 1)
        lay.addStretch(0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.at)
        lay.addWidget(self.back, 0, Qt.AlignmentFlag.AlignRight)
        self.addWidget(box)


SLIDER_STEPS = 1000


class _ReviewTokens(TokensPanel):
    """Expiry counted from the snapshot's own time, not from now; no ages (see review_data)."""

    at = 0.0  # wall time of the snapshot shown

    def tick(self) -> None:
        for kind, row in self.rows.items():
            tok = self._tokens.get(kind)
            row.age.setText("-")
            left = tok.expires_in(self.at) if tok else None
            row.expires.setText("-" if left is None else "expired" if left <= 0 else clock(left))


class ReviewMode(QObject):
    def __init__(self, window: ReviewHost) -> None:
        super().__init__(window)
        self.w = window
        self.bar = ReviewBar()
        window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.bar)
        self.bar.hide()
        self.bar.back.clicked.connect(self.back_to_live)
        self.recording: Session | None = None  # the session being reviewed
        self.panels: dict[str, QWidget] = {}  # review panels by dock title
        self._live: dict[str, QWidget] = {}  # the live panels they replace
        self.loading = False
        self.ready = False  # the review panels are filled
        self.progress = 0.0  # of the current load, 0..1 (reading, then filling)
        self.progress_updates = 0
        self.at: float | None = None  # the moment shown (wall time)
        self._span = (0.0, 0.0)  # first and last wall time of the recording
        self._walls: list[float] = []  # snapshot times, for bisect
        self.bar.slider.valueChanged.connect(self._slider_moved)

    @property
    def active(self) -> bool:
        return bool(self._live)

    # -- opening --------------------------------------------------------------------------
    def choose_file(self) -> None:
        dlg = QFileDialog(self.w, "Open session")
        dlg.setObjectName("openSessionDialog")
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.setNameFilters(
            [
                "dcmon sessions and event log exports (*.jsonl *.json)",
                "All files (*)",
            ]
        )
        lastdir.start_in(dlg, "session")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.open_file)
        dlg.open()  # never exec() under qasync

    def open_file(self, path: str | Path) -> Any:
        """Load and show `path`; returns the task (tests await the panels via `ready`)."""
        if self.loading:
            self.w.session.report("Open session: another session is still loading")
            return None
        if self.w.scenario.running:
            self.w.session.report("Open session: a scenario is running (Stop it first)")
            return None
        self.loading, self.ready = True, False
        return self.w.session.spawn("Open session", self._open(Path(path)))

    async def _open(self, path: Path) -> None:
        try:
            try:
                recording = await load_in_chunks(path, lambda f: self._progress(path, f * 0.5))
            except SessionFormatError as exc:
                self.w.session.report(f"Open session failed: {exc}")
                return
            await self._show(recording)
        finally:
            self.loading = False
        if not self.ready:
            return
        log = self.panels["Event log"]
        assert isinstance(log, EventLogPanel)
        # the same total as the log's own count line (ping samples are rows there too)
        self.w.status.showMessage(
            f"reviewing {path.name}: {log.model.total} events "
            f"({len(recording.events)} recorded + {len(recording.latency)} ping samples)",
            10000,
        )

    def _progress(self, path: Path, fraction: float) -> None:
        self.progress = fraction
        self.progress_updates += 1
        self.w.status.showMessage(f"loading {path.name}… {fraction * 100:.0f} %")

    # -- showing --------------------------------------------------------------------------
    async def _show(self, recording: Session) -> None:
        if self.active:  # another file while reviewing: start from the live panels again
            self._restore_live()
        self.recording = recording
        self._swap_in(self._make_panels())
        self._banner(recording)
        self.w.update_modes()
        path = Path(recording.path)
        total = len(recording.events) + len(recording.latency)
        log, latency = self.panels["Event log"], self.panels["Latency"]
        captions = self.panels["Captions"]
        assert isinstance(log, EventLogPanel) and isinstance(latency, LatencyPanel)
        assert isinstance(captions, CaptionsPanel)
        latency.timer.stop()  # one redraw at the end, not one per yield (20k points each)
        pacer = Pacer()
        await pacer.pause()  # the new panels appear before they fill
        for n, ev in enumerate(_timeline(recording), start=1):
            log.on_event(ev)
            latency.on_event(ev)
            captions.on_event(ev)
            if pacer.due():  # checked per event: a marker costs far more than a sample
                await pacer.pause()
                self._progress(path, 0.5 + 0.5 * n / max(total, 1))
                if self.recording is not recording:  # Back to live (or closed) meanwhile
                    return
        latency.timer.start()
        latency.redraw()
        latency.update_stats()
        log.model.flush()
        log._update_count()  # the count line now, not at its next tick: the status bar agrees
        self._show_snapshot(recording)
        self._timeline_ready(recording, log)
        self.progress = 1.0
        self.ready = True

    def _make_panels(self) -> dict[str, QWidget]:
        w = self.w
        latency = LatencyPanel()
        latency.window_box.setCurrentIndex(len(WINDOWS) - 1)  # "all": not relative to now
        log = EventLogPanel()
        log.csv_exporter = latency.export_csv
        return {
            "Meeting": MeetingPanel(w.session, w.qsettings),
            "Tokens": _ReviewTokens(w.session),
            "Channels": ChannelsPanel(w.session, w.confirm),
            "Latency": latency,
            "Event log": log,
            "Captions": CaptionsPanel(),
        }

    def _swap_in(self, panels: dict[str, QWidget]) -> None:
        for title, panel in panels.items():
            dock = self.w.docks[title]
            self._live[title] = dock.widget()
            dock.setWidget(panel)  # the live panel is hidden, not deleted
        self.panels = panels
        for title in ("Meeting", "Tokens", "Channels"):
            _read_only(panels[title])

    def _show_snapshot(self, recording: Session) -> None:
        meeting = self.panels["Meeting"]
        assert isinstance(meeting, MeetingPanel)
        # the recording's server and meeting, not the live join form
        meeting.server.setText(recording.header.server)
        meeting.meeting.setText(recording.header.meeting or "")
        meeting.name.clear()
        if not recording.snapshots:
            return
        last = recording.snapshots[-1]
        snap = snapshot_from_json(last.data)
        tokens = self.panels["Tokens"]
        assert isinstance(tokens, _ReviewTokens)
        tokens.at = last.wall
        for title in ("Meeting", "Tokens", "Channels"):
            self.panels[title].set_snapshot(snap)  # type: ignore[attr-defined]
            _read_only(self.panels[title])  # set_snapshot re-enables Leave

    # -- moving through the recording ---------------------------------------------------------
    def _timeline_ready(self, recording: Session, log: EventLogPanel) -> None:
        walls = [e.wall for e in recording.events[:1]] + [e.wall for e in recording.events[-1:]]
        walls += [s.wall for s in recording.latency[:1]] + [s.wall for s in recording.latency[-1:]]
        self._walls = [s.wall for s in recording.snapshots]
        walls += self._walls[:1] + self._walls[-1:]
        self._span = (min(walls), max(walls)) if walls else (0.0, 0.0)
        log.table.selectionModel().currentRowChanged.connect(
            lambda current, _prev: self._row_selected(log, current.row())
        )
        self.at = None
        self._sync_slider(self._span[1])
        self._at_label(self._span[1])

    def _row_selected(self, log: EventLogPanel, row: int) -> None:
        if row < 0 or row >= log.proxy.rowCount():
            return
        self.seek(log.proxy.event_at(row).wall)

    def _slider_moved(self, value: int) -> None:
        if self.recording is None or not self.ready:
            return
        t0, t1 = self._span
        self.seek(t0 + (t1 - t0) * value / SLIDER_STEPS, from_slider=True)

    def seek(self, wall: float, from_slider: bool = False) -> None:
        """Show the recording at `wall`: the last snapshot taken by then in the Meeting,
        Tokens and Channels panels (tokens counted from that moment), the plot's cursor."""
        recording = self.recording
        if recording is None:
            return
        self.at = wall
        if recording.snapshots:
            i = max(bisect.bisect_right(self._walls, wall) - 1, 0)
            record = recording.snapshots[i]
            snap = snapshot_from_json(record.data)
            tokens = self.panels["Tokens"]
            assert isinstance(tokens, _ReviewTokens)
            tokens.at = wall
            for title in ("Meeting", "Tokens", "Channels"):
                self.panels[title].set_snapshot(snap)  # type: ignore[attr-defined]
                _read_only(self.panels[title])
            tokens.tick()
        latency = self.panels["Latency"]
        assert isinstance(latency, LatencyPanel)
        latency.set_cursor(wall)
        if not from_slider:
            self._sync_slider(wall)
        self._at_label(wall)

    def _sync_slider(self, wall: float) -> None:
        t0, t1 = self._span
        value = round((wall - t0) / (t1 - t0) * SLIDER_STEPS) if t1 > t0 else SLIDER_STEPS
        self.bar.slider.blockSignals(True)
        self.bar.slider.setValue(max(0, min(SLIDER_STEPS, value)))
        self.bar.slider.blockSignals(False)

    def _at_label(self, wall: float) -> None:
        recording = self.recording
        n = bisect.bisect_right(self._walls, wall)
        total = len(recording.snapshots) if recording is not None else 0
        self.bar.at.setText(f"at {wall_clock(wall)} · snapshot {max(n, 1 if total else 0)}/{total}")

    def _banner(self, recording: Session) -> None:
        h = recording.header
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(h.started)) if h.started else "?"
        name = Path(recording.path).name
        self.bar.text.setText(f"<b>Reviewing {name}</b> (recorded {when}) — live controls disabled")
        facts = [f"server {h.server or '-'}", f"profile {h.profile or '-'}"]
        if h.meeting:
            facts.append(f"meeting {h.meeting}")
        facts.append(
            f"{len(recording.events)} events, {len(recording.latency)} latency samples, "
            f"{len(recording.snapshots)} snapshots"
        )
        self.bar.text.setToolTip(f"{recording.path}\n" + " · ".join(facts))
        warnings = list(recording.problems)
        self.bar.warning.setText("⚠ " + "; ".join(warnings) if warnings else "")
        self.bar.warning.setVisible(bool(warnings))
        self.bar.show()
        self.w.setWindowTitle(f"review · {name}")  # Qt appends "— dcmon"

    # -- leaving --------------------------------------------------------------------------
    def back_to_live(self) -> None:
        if not self.active:
            return
        self._restore_live()
        self.bar.hide()
        self.w.update_modes()
        last = self.w.bridge.last_snapshot
        if last is not None:
            self.w.on_snapshot(last)  # the title and panels as live has them now
        else:
            self.w.setWindowTitle("")

    def _restore_live(self) -> None:
        for title, live in self._live.items():
            dock = self.w.docks[title]
            review = dock.widget()
            dock.setWidget(live)
            live.show()  # setWidget hid it when the review panel came in
            if review is not None and review is not live:
                review.deleteLater()
        self._live, self.panels = {}, {}
        self.recording, self.ready, self.at = None, False, None


def _timeline(recording: Session) -> Iterator[CoreEvent]:
    """Session.timeline() as a stream: both lists are in seq order as written, so a lazy
    merge gives the same order without sorting a whole big file at once."""
    return heapq.merge(
        recording.events, (s.to_event() for s in recording.latency), key=lambda e: e.seq
    )


def _read_only(panel: QWidget) -> None:
    for button in panel.findChildren(QAbstractButton):
        button.setEnabled(False)
    for edit in panel.findChildren(QLineEdit):
        edit.setReadOnly(True)
