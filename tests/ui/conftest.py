"""UI tests: offscreen Qt, the qasync loop for async tests, a real window over the embedded
simulator. Waits are asyncio-side (Waiter), never qtbot.waitUntil on asyncio-driven state.

Each test opens and closes its window inside its own coroutine (`async with open_ui(...)`),
not in an async fixture: qasync processes Qt events once more, outside the running loop,
after every run_until_complete, and live core tasks must not be stepped there.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.ui.qtloop import PreciseQEventLoop


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or QApplication([])
    return PreciseQEventLoop(app)  # the window's own loop (app/ui/qtloop.py)


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Any]:
    """Every async test under tests/ui runs on a qasync loop (TOOLCHAIN.md)."""
    return {"qasync": _qasync_loop}


@pytest.fixture(autouse=True)
def _no_event_processing_outside_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-qt calls processEvents() between the test and its teardown, outside the
    running asyncio loop: qasync would then step core tasks with no running loop ('no
    running event loop' inside the core). Under qasync the loop itself processes events."""
    import pytestqt.plugin

    monkeypatch.setattr(pytestqt.plugin, "_process_events", lambda: None)


@pytest.fixture
def qsettings(qapp: QApplication, tmp_path: Path) -> QSettings:
    """A private settings file per test; confirmations off unless a test turns them on."""
    s = QSettings(str(tmp_path / "dcmon.ini"), QSettings.Format.IniFormat)
    s.setValue("ui/confirm_destructive", "false")
    return s
