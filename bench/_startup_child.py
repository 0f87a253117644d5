"""A start-up child: `python bench/_startup_child.py dcmon|empty`.

Prints time.perf_counter_ns() (CLOCK_MONOTONIC, the same clock in every process on Linux)
at the first paint of its top-level window, then exits at once. Kept free of bench imports
so both kinds pay exactly their own imports.

  empty: an empty PySide6 window (QApplication + QWidget + show), the floor.
  dcmon: the real entry point, `python -m app gui` (app.cli.main(["gui"])): display check,
         QApplication, style, qasync loop, the main window and its panels, the embedded
         simulator starting in its thread.
"""

import os
import sys
import time


def main() -> None:
    kind = sys.argv[1]
    stamps = [("interpreter", time.perf_counter_ns())]
    from PySide6.QtCore import QEvent, QObject, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication, QWidget

    qInstallMessageHandler(lambda *a: None)  # offscreen plugin chatter

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and obj.isWindow():
                stamps.append(("paint", time.perf_counter_ns()))
                sys.stdout.write(" ".join(f"{k}={v}" for k, v in stamps) + "\n")
                sys.stdout.flush()
                os._exit(0)
            return False

    qapp = QApplication(sys.argv[:1])
    first = FirstPaint()
    qapp.installEventFilter(first)
    if kind == "empty":
        w = QWidget()
        w.resize(1500, 980)  # the size the dcmon window opens at
        w.setWindowTitle("empty")
        w.show()
        qapp.exec()
    else:
        # the modules `python -m app gui` imports before it builds the window, imported
        # here first only to time them apart (the entry point below finds them cached)
        import app.cli
        import app.ui.main
        import app.ui.window

        stamps.append(("imports", time.perf_counter_ns()))
        app.cli.main(["gui"])
    sys.exit("no paint event seen")


if __name__ == "__main__":
    main()
