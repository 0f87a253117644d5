"""docs/incidents.png and docs/compare.png (issue 13), from live runs in the real window.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/issue13_screenshots.py

The window runs tests/incidents/three_disruptions.toml (a 1006 reset, a half-open, a URL
rotation with an expired token) with File > Run scenario; the Incidents panel then shows
three rows and the half-open's swim lane, its span shaded on the latency plot. The compare
view shows that run's report against one with a 2 s token slowdown.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
THREE = ROOT / "tests" / "incidents" / "three_disruptions.toml"


async def reports(tmp: Path) -> tuple[Path, Path]:
    from app.scenario.loader import load_text
    from app.scenario.report import write_json
    from app.scenario.runner import RunOptions, run_scenario

    text = THREE.read_text()
    slow = text.replace(
        "  { join = true },",
        '  { fault = "token", mode = "slow", delay_ms = 2000, note = "2 s token slowdown" },\n'
        "  { join = true },",
        1,
    )
    out = []
    for name, body in (("before.json", text), ("token-slow.json", slow)):
        result = await run_scenario(load_text(body, str(THREE)), RunOptions())
        write_json([result], tmp / name)
        out.append(tmp / name)
        print(name, result.status.value, len(result.incidents), "incidents")
    return out[0], out[1]


async def drive(docs: Path) -> None:
    from PySide6.QtCore import QSettings

    from app.core.settings import profile
    from app.ui.waiting import Waiter
    from app.ui.window import build_window

    tmp = Path(tempfile.mkdtemp(prefix="dcmon-i13-"))
    qsettings = QSettings(str(tmp / "dcmon.ini"), QSettings.Format.IniFormat)
    qsettings.setValue("ui/confirm_destructive", "false")
    w = build_window(qsettings, profile("demo"), None)
    w.show()
    w.start()
    await asyncio.sleep(0.2)  # the first layout (posted) before the reset below
    w.reset_layout()
    waiter = Waiter(w.bridge)
    await w.session.start_embedded("demo-1")
    w.scenario.run_file(THREE)
    result = await waiter.until(lambda: w.scenario.result, 90, "scenario verdict")
    print("window run:", result.status.value, len(result.incidents), "incidents")
    extra = w.issue13
    dock = w.docks["Incidents"]
    from PySide6.QtCore import Qt

    for title in ("Event log", "Captions", "Channels"):  # room for the panel in the picture
        w.docks[title].hide()
    dock.show()
    dock.raise_()
    w.splitDockWidget(w.docks["Latency"], dock, Qt.Orientation.Vertical)
    w.resizeDocks([w.docks["Latency"], dock], [330, 620], Qt.Orientation.Vertical)
    extra.panel.refresh()
    extra.panel.select(3)  # the rotation with an expired token: 401, wait, token, register
    w.latency.redraw()
    await asyncio.sleep(0.8)  # let the plots and the lanes paint before the grab
    w.grab().save(str(docs / "incidents.png"))
    for row in range(extra.panel.table.rowCount()):
        print("  ", [extra.panel.table.item(row, c).text() for c in range(9)])

    a, b = await reports(tmp)
    view = extra.open_compare(str(a), str(b))
    view.resize(1400, 900)
    await asyncio.sleep(0.5)
    view.grab().save(str(docs / "compare.png"))
    print(view.differences.text())
    w.close()
    await asyncio.wait_for(w.closed, 20)


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from app.ui.qtloop import PreciseQEventLoop

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with asyncio.Runner(loop_factory=lambda: PreciseQEventLoop(app)) as runner:
        runner.run(drive(ROOT / "docs"))


if __name__ == "__main__":
    main()
