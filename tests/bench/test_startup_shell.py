"""Start-up (issue 14): `python -m app gui` paints its window shell before the heavy modules
load, then the real window takes its place, and the program still closes cleanly.

The end-to-end test runs the real entry point in a fresh interpreter (offscreen) with an
application event filter, as bench/startup.py does, and reports what it saw as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from app.ui.shell import STARTING, Shell, show_shell

ROOT = Path(__file__).resolve().parents[2]

# must not be loaded when the first frame is painted (the point of the shell)
HEAVY = (
    "asyncio",
    "qasync",
    "pyqtgraph",
    "numpy",
    "httpx",
    "websockets",
    "starlette",
    "uvicorn",
    "app.core.meeting",
    "app.sim",
    "app.scenario.runner",
    "app.ui.window",
    "app.ui.review",
)

PROBE = r"""
import json, os, signal, sys
from PySide6.QtCore import QEvent, QObject, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QLabel, QWidget

qInstallMessageHandler(lambda *a: None)
HEAVY = %(heavy)r
seen = {}

def finish():
    import gc
    seen["frozen"] = gc.get_freeze_count()  # start-up objects out of the collector's way
    seen["visible_after_retire"] = sorted(
        type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()
    )
    print(json.dumps(seen), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)  # the window's own handler: a clean close

class Watch(QObject):
    def eventFilter(self, obj, event):
        if event.type() != QEvent.Type.Paint or not isinstance(obj, QWidget):
            return False
        if "first" not in seen and obj.isWindow():
            seen["first"] = type(obj).__name__
            seen["title"] = obj.windowTitle()
            labels = obj.findChildren(QLabel)
            seen["text"] = labels[0].text() if labels else ""
            seen["heavy_loaded"] = [m for m in HEAVY if m in sys.modules]
            obj.destroyed.connect(finish)  # the shell is deleted once the real window painted
        elif "first" in seen and "window" not in seen and type(obj).__name__ == "MainWindow":
            seen["window"] = True
        return False

app = QApplication(sys.argv[:1])
watch = Watch()
app.installEventFilter(watch)
import app.cli
sys.exit(app.cli.main(["gui"]))
"""


def test_gui_paints_the_shell_before_heavy_imports_then_the_window(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", PROBE % {"heavy": HEAVY}],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"no report (exit {done.returncode}): {done.stderr[-2000:]}"
    seen = json.loads(lines[-1])
    assert seen["first"] == "Shell" and seen["text"] == STARTING
    assert seen["heavy_loaded"] == [], "loaded before the first paint"
    assert seen.get("window") is True, "the real window never painted"
    assert seen["visible_after_retire"] == ["MainWindow"]
    assert seen["frozen"] > 10_000, "start-up objects were not frozen (gc.freeze)"
    assert done.returncode == 0, done.stderr[-2000:]


def test_show_shell_returns_once_painted(qapp: QApplication) -> None:
    shell = show_shell(None, timeout=5)
    try:
        assert shell.isVisible() and shell.windowTitle() == ""
        assert shell.width() > 0 and shell.height() > 0
    finally:
        shell.retire()


def test_closing_the_shell_before_the_window_is_there_means_do_not_open_it(
    qapp: QApplication,
) -> None:
    shell = Shell()
    shell.show()
    shell.close()
    assert shell.closed_early and not shell.isVisible()


def test_after_hand_over_closing_the_shell_closes_the_window_but_retiring_does_not(
    qapp: QApplication,
) -> None:
    shell, window = Shell(), QWidget()
    shell.show()
    shell.hand_over(window)
    assert window.isVisible() and not shell.closed_early
    shell.close()  # the user's close in the instant both are up
    assert not window.isVisible()

    shell2, window2 = Shell(), QWidget()
    shell2.show()
    shell2.hand_over(window2)
    shell2.retire()
    assert window2.isVisible() and not shell2.isVisible()
    window2.close()
