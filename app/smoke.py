"""`dcmon --smoke`: proves an installed or frozen build works, headless, in well under a minute.

Checks, in order, each printed as `ok` or `FAIL`:
  - Qt starts on the offscreen platform (QT_QPA_PLATFORM=offscreen unless already set);
  - the icon and style sheet are found (resources bundled) and the SVG icon renders
    (the svg image-format / icon-engine plugins and QtSvg are bundled);
  - the version is known (package metadata bundled; `0.0.0+source` fails in a frozen build);
  - the main window is built, shown offscreen and grabbed to a non-empty image
    (QtWidgets, pyqtgraph and every UI module are bundled);
  - the demo tour (app.tour, on an embedded simulator, over loopback) passes all its steps,
    on the same qasync loop the window uses.
Exit status 0 only if every check passed. DCMON_SMOKE_SCREENSHOT=path.png saves the grab.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

TOUR_STEPS = 6
TOUR_BUDGET = 120.0  # seconds; each tour step has its own 15 s deadline as well


class _Checks:
    def __init__(self) -> None:
        self.failed: list[str] = []
        self.t0 = time.perf_counter()

    def report(
        self, name: str, ok: bool, detail: str = "", ms: float | None = None, always: bool = False
    ) -> bool:
        mark = "ok  " if ok else "FAIL"
        detail = detail if (detail and (not ok or always)) else ""
        took = f" {ms:8.0f} ms" if ms is not None else ""
        print(f"  {mark} {name:<58}{took}" + (f"\n       {detail}" if detail else ""), flush=True)
        if not ok:
            self.failed.append(name)
        return ok


def run_smoke(screenshot: str | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    screenshot = screenshot or os.environ.get("DCMON_SMOKE_SCREENSHOT") or None
    from app import __version__

    frozen = bool(getattr(sys, "frozen", False))
    print(f"dcmon {__version__} smoke test ({'frozen' if frozen else 'source'} build)", flush=True)
    checks = _Checks()
    checks.report(
        f"version {__version__}",
        not (frozen and __version__.endswith("+source")),
        "package metadata missing from the bundle",
    )
    try:
        from PySide6.QtWidgets import QApplication

        from app.ui.main import run_on_qt_loop
        from app.ui.theme import setup_application
    except ImportError as exc:
        checks.report("import Qt and the window", False, f"{type(exc).__name__}: {exc}")
        return 1

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    checks.report(f"Qt platform {app.platformName()}", bool(app.platformName()))
    setup_application(app)
    _check_resources(checks)
    try:
        run_on_qt_loop(app, _on_loop(checks, screenshot))
    except Exception as exc:  # anything escaping is a failure, reported as such
        checks.report("smoke run", False, f"{type(exc).__name__}: {exc}")
    took = time.perf_counter() - checks.t0
    if checks.failed:
        print(f"smoke FAILED ({', '.join(checks.failed)}) in {took:.1f} s", flush=True)
        return 1
    print(f"smoke passed in {took:.1f} s", flush=True)
    return 0


def _check_resources(checks: _Checks) -> None:
    from PySide6.QtGui import QIcon

    from app.ui.resources import resource_path

    svg, qss = resource_path("dcmon.svg"), resource_path("style.qss")
    checks.report(
        "resources (dcmon.svg, style.qss)",
        bool(svg and qss),
        f"from {svg and svg.parent}",
        always=True,
    )
    if svg is not None:
        pixmap = QIcon(str(svg)).pixmap(64, 64)
        checks.report(
            "SVG icon renders (QtSvg + svg plugins)",
            not pixmap.isNull() and pixmap.width() > 0,
            "" if not pixmap.isNull() else "the svg icon engine / image format plugin is missing",
        )


async def _on_loop(checks: _Checks, screenshot: str | None) -> None:
    await _window(checks, screenshot)
    await _tour(checks)


async def _window(checks: _Checks, screenshot: str | None) -> None:
    from PySide6.QtCore import QSettings

    from app.core.settings import profile
    from app.ui.window import build_window

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dcmon-smoke-") as tmp:
        # a throw-away settings file: a smoke run never touches the user's layout
        qsettings = QSettings(str(Path(tmp) / "dcmon.ini"), QSettings.Format.IniFormat)
        window = build_window(qsettings, profile("demo"), None)
        try:
            window.show()
            window.start()
            await asyncio.sleep(0.2)  # let the first layout pass run
            image = window.grab().toImage()
            ok = not image.isNull() and image.width() > 100 and image.height() > 100
            detail = f"{image.width()}x{image.height()}"
            if ok and screenshot:
                ok = image.save(screenshot)
                detail += f" saved to {screenshot}" if ok else f" could not save {screenshot}"
            checks.report(
                "main window built and grabbed",
                ok,
                detail,
                (time.perf_counter() - started) * 1000,
                always=True,
            )
        finally:
            window.close()
            async with asyncio.timeout(15):
                await window.closed


async def _tour(checks: _Checks) -> None:
    from app.core.settings import profile
    from app.tour import StepResult, run_tour

    def report(r: StepResult) -> None:
        checks.report(f"tour: {r.name}", r.ok, r.message, r.ms)

    try:
        async with asyncio.timeout(TOUR_BUDGET):
            results = await run_tour(profile("demo"), report)
    except TimeoutError:
        checks.report("tour finished in time", False, f"over {TOUR_BUDGET:.0f} s")
        return
    passed = sum(r.ok for r in results)
    checks.report(f"tour: {passed}/{TOUR_STEPS} steps passed", passed == TOUR_STEPS)
