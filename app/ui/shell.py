"""The window shell: a plain QMainWindow with the title and a "starting…" body, painted before
anything heavy is imported (asyncio, qasync, the core, the simulator, pyqtgraph, the panels:
about 400 ms on a small machine). bench/startup.py measures process start -> this paint.

Then the real window is built and shown (at the geometry its own layout code chooses, which
the shell approximates: the saved geometry, else the preferred size within the screen), and
the shell goes once the real window has painted, so there is never a moment with no window.
The shell is not the real window's parent: the real window's layout code sizes, moves and
saves the top-level window itself, which a child could not.

Kept to QtCore/QtGui/QtWidgets and the standard library: whatever this module imports is paid
for before the first paint.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, QEventLoop, QObject, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QWidget

STARTING = "starting…"
PREFERRED = QSize(1500, 980)  # the real window's preferred size (app/ui/layout.py)


class Shell(QMainWindow):
    def __init__(self, qsettings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("dcmonShell")
        self.setWindowTitle("")  # the application display name ("dcmon"), as the real window
        body = QLabel(STARTING)
        body.setObjectName("startingLabel")
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(body)
        screen = self.screen()
        size = PREFERRED
        if screen is not None:
            size = size.boundedTo(screen.availableGeometry().size())
        self.resize(size)
        saved = qsettings.value("window/geometry") if qsettings is not None else None
        if isinstance(saved, QByteArray):  # where the real window will most likely restore to
            self.restoreGeometry(saved)
        self.successor: QWidget | None = None
        self.closed_early = False  # closed while it said "starting…": do not open the window
        self._retiring = False

    def hand_over(self, window: QWidget) -> None:
        """The real window is built: show it (at the geometry its own layout code chose)."""
        self.successor = window
        if self.isMaximized() and not window.isMaximized():
            window.showMaximized()
        else:
            window.show()

    def retire(self) -> None:
        """The real window has painted: the shell goes."""
        self._retiring = True
        self.close()
        self.deleteLater()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.accept()
        if self._retiring:
            return
        if self.successor is None:
            self.closed_early = True
        else:  # closed in the instant both are on screen: the user meant the program
            self.successor.close()


class _Painted(QObject):
    def __init__(self, window: QWidget, loop: QEventLoop) -> None:
        super().__init__(window)
        self.painted = False
        self._window = window
        self._loop = loop

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint:
            self.painted = True
            self._loop.quit()
        return False


def show_shell(qsettings: QSettings | None, timeout: float = 2.0) -> Shell:
    """Show the shell and run a Qt event loop (no asyncio yet) until it has painted, or until
    `timeout`: a window that is never exposed must not hold start-up back."""
    shell = Shell(qsettings)
    loop = QEventLoop()
    watch = _Painted(shell, loop)
    shell.installEventFilter(watch)
    timer = QTimer(loop, singleShot=True, interval=int(timeout * 1000))
    timer.timeout.connect(loop.quit)
    shell.show()
    if not watch.painted:
        timer.start()
        loop.exec()
        timer.stop()
    shell.removeEventFilter(watch)
    watch.deleteLater()
    return shell
