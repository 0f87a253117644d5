"""Await the first paint of a window: start-up work that the first frame does not need (the
embedded simulator, the core) waits until the user sees the window."""

from __future__ import annotations

import asyncio
import contextlib

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class _PaintWatch(QObject):
    def __init__(self, window: QWidget, done: asyncio.Future[None]) -> None:
        super().__init__(window)
        self._done = done

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self._done.done():
            self._done.set_result(None)
        return False


async def first_paint(window: QWidget, timeout: float = 2.0) -> None:
    """Return once `window` has painted (or after `timeout`: a window that is never exposed,
    minimised or on a display that is slow to map it, must not hold start-up back)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    watch = _PaintWatch(window, done)
    window.installEventFilter(watch)
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(done), timeout)
    finally:
        window.removeEventFilter(watch)
        watch.deleteLater()
