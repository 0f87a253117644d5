"""One redraw per slot: the panels' batched updates (captions, event log, plots) each get a
loop turn of their own, so each paints in its own pass instead of all in one long one.

A panel asks `request(job, not_before)` when it has something to show (the panel keeps its
own pace: not_before = its last run + its period); the job runs on the first slot after
that, never in the same slot as another panel's job, and Qt repaints what it changed before
the next slot comes round. The clock sleeps when no job is waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

SLOT_MS = 20

Job = Callable[[], None]


class Frames(QObject):
    def __init__(self, slot_ms: int = SLOT_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._waiting: dict[Job, float] = {}  # job -> earliest run time (monotonic), FIFO
        self.runs = 0
        self._timer = QTimer(self, interval=slot_ms)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # coarse timers may align
        self._timer.timeout.connect(self._slot)

    def request(self, job: Job, not_before: float = 0.0) -> None:
        """Run `job` on a coming slot, not before the monotonic time `not_before`."""
        if job in self._waiting:
            return
        self._waiting[job] = not_before
        if not self._timer.isActive():
            self._timer.start()

    def cancel(self, job: Job) -> None:
        self._waiting.pop(job, None)

    def pending(self, job: Job) -> bool:
        return job in self._waiting

    def run_now(self, job: Job) -> None:
        """Run a job at once (and forget its request): tests, flushes before export."""
        self._waiting.pop(job, None)
        self._run(job)

    def _slot(self) -> None:
        if not self._waiting:
            self._timer.stop()
            return
        now = time.monotonic()
        for job, due in self._waiting.items():  # the oldest request that is due
            if due <= now:
                del self._waiting[job]
                self._run(job)
                return

    def _run(self, job: Job) -> None:
        self.runs += 1
        try:
            job()
        except RuntimeError as exc:  # its widget was deleted meanwhile: nothing to draw
            if "already deleted" not in str(exc):
                raise


_frames: Frames | None = None


def frames() -> Frames:
    """The application's one clock (parented to the QApplication, so it goes with it)."""
    global _frames
    if _frames is None:
        _frames = Frames(parent=QApplication.instance())
    return _frames
