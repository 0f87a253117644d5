"""Status bar: backend, meeting, profile and event-loop lag (measured on the asyncio side)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.core.events import MeetingSnapshot
from app.ui.session import Backend

LAG_PERIOD = 0.25


class StatusBar(QStatusBar):
    def __init__(self, profile_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = QLabel("backend: -", objectName="statusBackend")
        self.meeting = QLabel("meeting: -", objectName="statusMeeting")
        self.profile = QLabel(profile_label, objectName="statusProfile")
        self.lag = QLabel("loop lag: -", objectName="statusLag")
        # perf (issue 14): fixed size, so its 4 new texts a second repaint the label only
        # instead of relaying out the status bar and, through it, the whole main window
        widest = self.lag.fontMetrics().horizontalAdvance("loop lag: 9999.9 ms (max 9999)")
        self.lag.setFixedSize(widest + 6, self.lag.sizeHint().height())
        for w in (self.backend, self.meeting, self.profile, self.lag):
            self.addPermanentWidget(w)
        self.lags: deque[float] = deque(maxlen=40)  # last ~10 s
        self._task: asyncio.Task[None] | None = None

    def set_backend(self, backend: Backend) -> None:
        self.backend.setText(f"backend: {backend.label}")

    def set_snapshot(self, snap: MeetingSnapshot) -> None:
        mid = snap.meeting_id or "-"
        self.meeting.setText(f"meeting: {mid} ({snap.badge})")

    def start_lag_meter(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._measure())

    def stop_lag_meter(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _measure(self) -> None:
        """How late a sleep wakes up = how long something held the loop (and the window)."""
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                start = time.perf_counter()
                await asyncio.sleep(LAG_PERIOD)
                lag_ms = max(time.perf_counter() - start - LAG_PERIOD, 0.0) * 1000
                self.lags.append(lag_ms)
                self.lag.setText(f"loop lag: {lag_ms:.1f} ms (max {max(self.lags):.0f})")
