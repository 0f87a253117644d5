"""File > Run scenario…: a scenario file run step by step on the window's own panels.

The run uses a fresh client made by the session (the file's profile) on the window's
simulator backend, so the Channels, Tokens, Meeting and Latency panels show exactly what the
steps do. Progress goes to the "Scenario" dock and, as "scenario" lines, to the event log.
Stop ends the run between steps (the step in progress is abandoned) and tears down.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.events import EventKind
from app.core.settings import profile
from app.scenario.loader import ScenarioError, load_file
from app.scenario.model import Scenario, Step
from app.scenario.report import write_json, write_junit
from app.scenario.results import ScenarioResult, Status, StepResult
from app.scenario.runner import Attached, RunHooks, RunInfo, RunOptions, run_scenario
from app.ui import lastdir
from app.ui.step_mode import StepGate

if TYPE_CHECKING:
    from app.ui.parts import ScenarioHost

STATUS_TEXT = {
    Status.PASSED: ("ok", "#1a7f37"),
    Status.FAILED: ("FAIL", "#d1242f"),
    Status.ERROR: ("ERROR", "#d1242f"),
    Status.SKIPPED: ("skip", "#8a8a8a"),
    Status.INTERRUPTED: ("stopped", "#bf8700"),
    Status.NOT_JUDGED: ("not judged", "#8a8a8a"),
}
# one word for a run ended by Stop, in the panel and the log alike (the reports say
# "interrupted", the status they share with Ctrl+C in the CLI)
VERDICT = {Status.PASSED: "PASS", Status.INTERRUPTED: "STOPPED"}


def verdict(status: Status) -> str:
    return VERDICT.get(status, "FAIL")


SCENARIO_DIR = Path("scenarios")  # where the file dialog starts, when it exists


class ScenarioPanel(QWidget):
    """File, progress, one row per step (result and time), Stop, the verdict, Export."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("No scenario run yet: File › Run scenario…", objectName="scenarioTitle")
        self.title.setWordWrap(True)
        self.progress = QLabel("", objectName="scenarioProgress")
        self.progress.setWordWrap(True)
        self.bar = QProgressBar(objectName="scenarioBar", textVisible=True)
        self.steps = QTreeWidget(objectName="scenarioSteps")
        self.steps.setHeaderLabels(["#", "step", "result", "ms"])
        self.steps.setRootIsDecorated(False)
        self.steps.setColumnWidth(0, 30)
        self.steps.setColumnWidth(1, 300)
        self.steps.setColumnWidth(2, 60)
        self.result = QLabel("", objectName="scenarioResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stop_button = QPushButton("Stop", objectName="scenarioStop", enabled=False)
        self.export_button = QPushButton("Export report…", objectName="scenarioExport")
        self.export_button.setEnabled(False)
        self.gate = StepGate()  # step mode: Next, or a slow-down (issue 13)
        buttons = QHBoxLayout()
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        for w in (self.title, self.progress, self.bar, self.gate):
            lay.addWidget(w)
        lay.addWidget(self.steps, 1)
        lay.addWidget(self.result)
        lay.addLayout(buttons)
        self.total = 0

    def begin(self, scenario: Scenario) -> None:
        self.total = len(scenario.steps)
        self.title.setText(f"<b>{Path(scenario.file).name}</b>: {scenario.name}")
        self.title.setToolTip(scenario.description or scenario.file)
        self.progress.setText("setting up…")
        self.bar.setRange(0, self.total)
        self.bar.setValue(0)
        self.steps.clear()
        for step in scenario.steps:
            item = QTreeWidgetItem([str(step.index), step.describe(), "", ""])
            item.setToolTip(1, step.describe() + (f"\n{step.note}" if step.note else ""))
            self.steps.addTopLevelItem(item)
        self.result.setText("")
        self.result.setStyleSheet("")
        self.stop_button.setEnabled(True)
        self.export_button.setEnabled(False)

    def step_started(self, step: Step) -> None:
        self.progress.setText(f"step {step.index}/{self.total}: {step.describe()}")
        item = self._item(step.index)
        if item is not None:
            item.setText(2, "…")
            self.steps.scrollToItem(item)

    def invalid(self, path: str | Path, error: str) -> None:
        """An invalid file: the whole error here (every problem, one per line), not the
        previous run's result."""
        self.total = 0
        self.title.setText(f"<b>{_html(Path(path).name)}</b>: not run, the file is invalid")
        self.title.setToolTip(str(path))
        self.progress.setText("nothing ran: fix the file and run it again")
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.steps.clear()
        self.result.setText(_html(error))
        self.result.setStyleSheet("color:#d1242f;")
        self.stop_button.setEnabled(False)
        self.export_button.setEnabled(False)

    def step_done(self, result: StepResult) -> None:
        if result.status is not Status.SKIPPED:  # the bar shows what ran, not what was skipped
            self.bar.setValue(result.index)
        item = self._item(result.index)
        if item is None:
            return
        text, color = STATUS_TEXT[result.status]
        item.setText(2, text)
        item.setForeground(2, QColor(color))
        item.setText(3, f"{result.ms:.0f}" if result.status is not Status.SKIPPED else "")
        if result.message:
            item.setToolTip(2, result.message)

    def stopping(self) -> None:
        self.stop_button.setEnabled(False)
        self.progress.setText(self.progress.text() + " — stopping…")

    def finish(self, result: ScenarioResult) -> None:
        self.stop_button.setEnabled(False)
        self.export_button.setEnabled(True)
        passed = sum(1 for s in result.steps if s.ok)
        word = verdict(result.status)
        ran = sum(1 for s in result.steps if s.status is not Status.SKIPPED)
        self.bar.setValue(ran)
        line = f"{word}: {passed}/{len(result.steps)} steps passed in {result.ms / 1000:.1f} s"
        if ran < len(result.steps):
            line += f" ({len(result.steps) - ran} not run)"
        self.progress.setText(line)
        failure = result.failure if word != "PASS" else ""
        self.result.setText(f"<b>{line}</b>" + (f"<br>{_html(failure)}" if failure else ""))
        color = {"PASS": "#1a7f37", "STOPPED": "#bf8700"}.get(word, "#d1242f")
        self.result.setStyleSheet(f"color:{color};")

    def _item(self, index: int) -> QTreeWidgetItem | None:
        return self.steps.topLevelItem(index - 1) if 0 < index <= self.total else None


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>")


class ScenarioRun(QObject):
    finished = Signal(object)  # ScenarioResult

    def __init__(self, window: ScenarioHost) -> None:
        super().__init__(window)
        self.w = window
        self.panel = ScenarioPanel()
        self.result: ScenarioResult | None = None
        self.task: Any = None
        self._stop: asyncio.Event | None = None
        self.before: tuple[str | None, str] | None = None  # meeting and name before the run
        self.restored = asyncio.Event()  # set once the window is back as before the run
        self.panel.stop_button.clicked.connect(self.stop)
        self.panel.export_button.clicked.connect(self.ask_export)

    @property
    def running(self) -> bool:
        return self._stop is not None

    # -- starting -------------------------------------------------------------------------
    def choose_file(self) -> None:
        dlg = QFileDialog(self.w, "Run scenario")
        dlg.setObjectName("scenarioDialog")
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.setNameFilter("Scenario files (*.toml)")
        lastdir.start_in(dlg, "scenario", SCENARIO_DIR)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.run_file)
        dlg.open()  # never exec() under qasync

    def run_file(self, path: str | Path) -> None:
        """Validate, confirm leaving the current meeting (non-modal), then run."""
        session = self.w.session
        if self.running:
            session.report("Run scenario: a scenario is already running (Stop it first)")
            return
        if self.w.review.active:
            session.report("Run scenario: go back to live first (File › Back to live)")
            return
        if not session.is_simulator:
            session.report(
                "Run scenario needs the simulator backend: its host, fault and socket steps "
                "use the /sim/ controls, which this server does not answer"
            )
            return
        try:
            scenario = load_file(path)
        except ScenarioError as exc:
            self.panel.invalid(path, str(exc))
            dock = self.w.docks["Scenario"]
            dock.show()
            dock.raise_()
            session.report(f"Run scenario: {exc}")
            return
        snap = session.snapshot
        if snap is not None and snap.badge not in ("Not joined", "Left"):
            self.w.confirm.ask(
                "Run scenario?",
                f"This leaves {snap.meeting_id} and runs “{scenario.name}” with a fresh client "
                "on the simulator.",
                lambda: self._launch(scenario),
            )
        else:
            self._launch(scenario)

    def _launch(self, scenario: Scenario) -> None:
        if self.running:
            return
        self.before = self._window_state()
        self._stop = asyncio.Event()
        self.result = None
        self.panel.begin(scenario)
        dock = self.w.docks["Scenario"]
        dock.show()
        dock.raise_()
        self.w.update_modes()
        self.task = self.w.session.spawn("Run scenario", self._run(scenario, self._stop))

    def stop(self) -> None:
        if self._stop is not None and not self._stop.is_set():
            self._stop.set()
            self.panel.stopping()
            self._log(EventKind.COMMAND, "stop requested: ending after the step in progress")

    # -- the run --------------------------------------------------------------------------
    async def _run(self, scenario: Scenario, stop: asyncio.Event) -> None:
        session = self.w.session
        self._log(EventKind.COMMAND, f"run {scenario.name} ({scenario.file})", file=scenario.file)
        hooks = RunHooks(
            on_start=self._started,
            on_step_start=self._step_started,
            on_step=self._step_done,
            before_step=self.panel.gate.wait,
        )
        try:
            client = await session.scenario_client(
                profile(scenario.setup.profile), scenario.setup.display_name
            )
            result = await run_scenario(
                scenario, RunOptions(), hooks, stop, Attached(client, session.sim)
            )
        except Exception as exc:  # the panel must end in a verdict whatever happened
            result = ScenarioResult(
                file=scenario.file,
                name=scenario.name,
                status=Status.ERROR,
                error=f"setup failed: {exc}",
            )
        finally:
            self._stop = None
        self.result = result
        self.panel.finish(result)
        summary = f"{verdict(result.status)} {scenario.name}: {sum(s.ok for s in result.steps)}/"
        summary += f"{len(result.steps)} steps in {result.ms / 1000:.1f} s"
        kind = EventKind.COMMAND if result.passed else EventKind.ERROR
        self._log(kind, summary + (f" — {result.failure}" if result.failure else ""))
        try:
            await self._restore()
        finally:
            self.w.update_modes()
            self.restored.set()
        self.finished.emit(result)

    # -- the window as it was before the run ------------------------------------------------
    def _window_state(self) -> tuple[str | None, str]:
        session = self.w.session
        snap = session.snapshot
        joined = snap is not None and snap.badge not in ("Not joined", "Left")
        name = getattr(session.client, "display_name", None) or "dcmon"
        return (snap.meeting_id if joined and snap else None, str(name))

    async def _restore(self) -> None:
        """A client on the window's own profile again (the status bar's), back in the
        meeting the user was in before the run, if any: not the scenario's client left in
        its own meeting."""
        self.restored.clear()
        session = self.w.session
        meeting, name = self.before or (None, "dcmon")
        server = session.backend.server if session.backend else None
        if server is None or getattr(session, "_closing", False):  # closing: nothing to give back
            return
        try:
            if meeting is not None:
                self._log(EventKind.COMMAND, f"run over: back to {meeting} as {name!r}")
                await session.join(server, meeting, name)
            else:
                self._log(
                    EventKind.COMMAND, f"run over: a client on profile {session.settings.profile}"
                )
                # the same steps as a first Join (session.join), without joining
                await session._new_client(server, session.settings, name)
                await session.client.start()
        except Exception as exc:  # the run's verdict stands; the window says what failed
            session.report(f"Run scenario: restoring the window failed: {exc}")

    def _started(self, scenario: Scenario, info: RunInfo) -> None:
        self.panel.progress.setText(
            f"on {info.server}, profile {info.profile}, meeting {info.meeting}"
        )
        self._log(EventKind.COMMAND, f"meeting {info.meeting} on {info.server}")

    def _step_started(self, step: Step) -> None:
        self.panel.step_started(step)
        total = self.panel.total
        self._log(
            EventKind.COMMAND, f"step {step.index}/{total}: {step.describe()}", step=step.index
        )

    def _step_done(self, result: StepResult) -> None:
        self.panel.step_done(result)
        text, _ = STATUS_TEXT[result.status]
        first = result.message.splitlines()[0] if result.message else ""
        failed = result.status in (Status.FAILED, Status.ERROR)
        kind = EventKind.ERROR if failed else EventKind.COMMAND
        summary = f"step {result.index}/{self.panel.total} {text} ({result.ms:.0f} ms)"
        if not result.ok and first:
            summary += f": {first}"
        self._log(kind, summary, step=result.index, status=result.status.value, ms=result.ms)

    def _log(self, kind: EventKind, summary: str, **data: Any) -> None:
        """A synthetic 'scenario' line in the UI's log (never a fake core event)."""
        self.w.bridge.local(kind, "scenario", summary, data)

    # -- report ---------------------------------------------------------------------------
    def ask_export(self) -> None:
        if self.result is None:
            return
        dlg = QFileDialog(self.w, "Export scenario report")
        dlg.setObjectName("scenarioExportDialog")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setNameFilters(["JSON report (*.json)", "JUnit XML (*.xml)"])
        dlg.setDefaultSuffix("json")
        dlg.filterSelected.connect(
            lambda f: dlg.setDefaultSuffix("xml" if "xml" in f.lower() else "json")
        )
        lastdir.start_in(dlg, "report")
        dlg.selectFile(f"{Path(self.result.file).stem}-report.json")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.export)
        dlg.open()

    def export(self, path: str | Path) -> None:
        """JUnit XML for a .xml name, else the JSON report (the CLI's --report format)."""
        if self.result is None:
            return
        try:
            if str(path).lower().endswith(".xml"):
                write_junit([self.result], path)
            else:
                write_json([self.result], path)
        except OSError as exc:
            self.w.session.report(f"Export report failed: {exc.strerror or exc}")
            return
        self.w.status.showMessage(f"scenario report saved to {path}", 10000)
        self.panel.progress.setText(f"report saved to {path}")
