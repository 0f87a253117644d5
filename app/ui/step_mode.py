"""Step mode for scenario runs in the window: one step at a time (Next), or at a chosen
slow-down, so a demo can be followed by eye. The runner awaits `StepGate.wait` before each
step (RunHooks.before_step); Stop still ends the run while it waits."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

STEP_BY_STEP = -1.0
SPEEDS = (
    ("full speed", 0.0),
    ("1 step / 0.5 s", 0.5),
    ("1 step / s", 1.0),
    ("1 step / 2 s", 2.0),
    ("step by step (Next)", STEP_BY_STEP),
)


class StepGate(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.speed = QComboBox(objectName="scenarioSpeed")
        for label, delay in SPEEDS:
            self.speed.addItem(label, delay)
        self.speed.setToolTip("how fast a scenario runs in the window (changes apply at once)")
        self.next_button = QPushButton("Next ▶", objectName="scenarioNext", enabled=False)
        self.next_button.setToolTip("run the next step (step by step)")
        self.next_button.clicked.connect(self.next)
        self.waiting = QLabel("", objectName="scenarioWaiting")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("speed"))
        lay.addWidget(self.speed)
        lay.addWidget(self.next_button)
        lay.addWidget(self.waiting, 1)
        self._next: asyncio.Event | None = None
        self.speed.currentIndexChanged.connect(lambda _i: self._speed_changed())

    @property
    def delay(self) -> float:
        return float(self.speed.currentData() or 0.0)

    def set_step_by_step(self) -> None:
        self.speed.setCurrentIndex(len(SPEEDS) - 1)

    async def wait(self, step: Any) -> None:
        """Before a step: hold until Next (step by step) or for the slow-down's delay."""
        if self.delay == STEP_BY_STEP:
            self._next = asyncio.Event()
            self.next_button.setEnabled(True)
            self.waiting.setText(f"next: step {step.index}: {step.describe()}")
            try:
                await self._next.wait()
            finally:
                self._next = None
                self.next_button.setEnabled(False)
                self.waiting.setText("")
        elif self.delay > 0:
            await asyncio.sleep(self.delay)  # the pacing itself, asked for: not a sync

    def next(self) -> None:
        if self._next is not None:
            self.next_button.setEnabled(False)  # at once: one click, one step
            self._next.set()

    def _speed_changed(self) -> None:
        if self.delay != STEP_BY_STEP:
            self.next()  # leaving step by step releases a waiting step
