"""A start-up child: `python bench/_startup_child.py dcmon|empty`.

Prints time.perf_counter_ns() (CLOCK_MONOTONIC, the same clock in every process on Linux)
at the first paint of its top-level window, then exits. Kept free of bench imports so both
kinds pay exactly their own imports.

  empty: an empty PySide6 window (QApplication + QWidget + show), the floor. Exits at its
         first paint.
  dcmon: the real entry point, `python -m app gui` (app.cli.main(["gui"])): display check,
         QApplication, style, the window shell painted (`paint`), then qasync, the main
         window and its panels put into the shell (`window`: the main window's own first
         paint), then exits. Under `-X importtime` a `# first paint` line on stderr splits
         the imports into those paid before the first paint and those after.
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

    def done() -> None:
        sys.stdout.write(" ".join(f"{k}={v}" for k, v in stamps) + "\n")
        sys.stdout.flush()
        os._exit(0)

    class FirstPaint(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() != QEvent.Type.Paint or not isinstance(obj, QWidget):
                return False
            names = [k for k, _ in stamps]
            if "paint" not in names and obj.isWindow():
                stamps.append(("paint", time.perf_counter_ns()))
                sys.stderr.write("# first paint\n")
                if kind == "empty":
                    done()
            elif "paint" in names and type(obj).__name__ == "MainWindow":
                stamps.append(("window", time.perf_counter_ns()))
                done()
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
        # the modules `python -m app gui` imports before it opens its window shell, imported
        # here first only to time them apart (the entry point below finds them cached)
        import app.cli
        import app.ui.main

        stamps.append(("imports", time.perf_counter_ns()))
        app.cli.main(["gui"])
    sys.exit("no paint event seen")


if __name__ == "__main__":
    main()
