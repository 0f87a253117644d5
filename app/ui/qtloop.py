"""The asyncio loop the window runs on: qasync's, with timers that keep their time.

qasync starts every `call_later` with `QObject.startTimer(ms)`, whose default type is
Qt::CoarseTimer: Qt may fire it up to 5 % early. The core's timing rules then break in the
window only (a 2 s wait after a 401 ended after 1.91 s; the 14 s pong timeout could fire
0.7 s early). Precise timers fire at the millisecond, never before it.
"""

from __future__ import annotations

import math
from typing import Any

import qasync
from PySide6.QtCore import Qt


class _PreciseTimer(qasync._SimpleTimer):  # type: ignore[name-defined,misc]
    def add_callback(self, handle: Any, delay: float = 0) -> Any:
        # round up: a timer that fires a fraction of a millisecond early wakes asyncio early
        ms = max(0, math.ceil(delay * 1000))
        timer_id = self.startTimer(ms, Qt.TimerType.PreciseTimer)
        self._SimpleTimer__callbacks[timer_id] = handle
        return handle


class PreciseQEventLoop(qasync.QEventLoop):  # type: ignore[misc]
    """`qasync.QEventLoop` whose `call_later` / `call_at` / `asyncio.sleep` keep time."""

    def __init__(self, app: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(app, *args, **kwargs)
        coarse = self._timer
        self._timer = _PreciseTimer()
        coarse.stop()
        coarse.deleteLater()
