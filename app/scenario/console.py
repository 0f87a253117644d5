"""Printing a run as it happens: one line per step with its timing, the reason under a failure."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from app.scenario.model import Scenario
from app.scenario.results import ScenarioResult, Status, StepResult

if TYPE_CHECKING:
    from app.scenario.runner import RunInfo

MARKS = {
    Status.PASSED: "ok",
    Status.FAILED: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "skip",
    Status.INTERRUPTED: "INTR",
    Status.NOT_JUDGED: "n/j",
}
WIDTH = 78


class Console:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def start(self, scenario: Scenario, info: RunInfo) -> None:
        self._line(f"{scenario.file}: {scenario.name}")
        client = f", client {info.client}" if info.client else ""
        self._line(f"    on {info.server}, profile {info.profile}, meeting {info.meeting}{client}")

    def step(self, r: StepResult) -> None:
        text = r.description if len(r.description) <= WIDTH else r.description[: WIDTH - 3] + "..."
        timing = "" if r.status is Status.SKIPPED else f"{r.ms:8.0f} ms"
        self._line(f"  {r.index:>3} {MARKS[r.status]:<5} {text:<{WIDTH}} {timing}")
        shown = (Status.FAILED, Status.ERROR, Status.INTERRUPTED, Status.NOT_JUDGED)
        if r.status in shown and r.message:
            for line in r.message.splitlines():
                self._line(f"            {line}")

    def finish(self, r: ScenarioResult) -> None:
        word = {
            Status.PASSED: "PASS",
            Status.ERROR: "ERROR",
            Status.INTERRUPTED: "INTERRUPTED",
            Status.NOT_JUDGED: "NOT JUDGED",
        }.get(r.status, "FAIL")
        line = f"{word} {r.name}"
        if r.steps:
            line += f": {r.count(Status.PASSED)}/{len(r.steps)} steps passed"
        self._line(f"{line} in {r.ms / 1000:.1f} s")
        if r.error:
            self._line(f"    {r.error}")
        self._line("")

    def summary(self, results: Sequence[ScenarioResult], not_run: int = 0) -> None:
        counts = {s: sum(1 for r in results if r.status is s) for s in Status}
        parts = [f"{counts[Status.PASSED]} passed"]
        words = (
            (Status.FAILED, "failed"),
            (Status.ERROR, "errors"),
            (Status.NOT_JUDGED, "not judged"),
        )
        for status, word in words:
            if counts[status]:
                parts.append(f"{counts[status]} {word}")
        if counts[Status.INTERRUPTED] or not_run:
            parts.append(f"interrupted ({not_run} not run)")
        total = len(results) + not_run
        self._line(f"{total} scenario file{'s' if total != 1 else ''}: " + ", ".join(parts))
        for r in results:
            if r.status in (Status.FAILED, Status.ERROR):
                self._line(f"  {r.file}: {r.failure.splitlines()[0] if r.failure else r.status}")
        self.verdicts(results)

    def verdicts(self, results: Sequence[ScenarioResult]) -> None:
        """One line per file: its row, the client, the verdict (the README table's source)."""
        if not results:
            return
        self._line(f"verdicts ({results[0].client_label or results[0].client}):")
        for r in results:
            row = r.name.split(" ", 1)[0] if r.name else r.file
            self._line(f"  {row:<6} {r.status.value:<12} {r.file}")

    def _line(self, text: str) -> None:
        with contextlib.suppress(BrokenPipeError):
            print(text, file=self.stream, flush=True)
