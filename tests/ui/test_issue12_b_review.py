"""Issue 12 part B: review mode moves to a selected moment (a row, the slider), the status
bar and the log agree on counts; the event log's exports (JSON lines reopen in review, CSV
says it is for spreadsheets, "N of M rows (filtered)", "saved to"), and file dialogs that
remember their folder (items 13, 15, 16)."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from app.core.events import CoreEvent, EventKind, MeetingSnapshot
from app.core.settings import profile
from app.ui import lastdir
from app.ui.panels.eventlog import EventLogPanel
from app.ui.panels.latency import LatencyPanel
from app.ui.waiting import Waiter
from app.ui.window import MainWindow, build_window

T0 = 1_764_000_000.0


def _recording(path: Path) -> None:
    """Lobby at T0, admitted at T0+10 (snapshots), pings between, a drop at T0+15."""
    lines = [
        {
            "type": "header",
            "format": "dcmon-session",
            "version": 1,
            "server": "http://h",
            "profile": "test",
            "started": T0,
            "meeting": "m",
        },
        {
            "type": "snapshot",
            "wall": T0,
            **MeetingSnapshot(server="http://h", profile="test", badge="Lobby").to_json(),
        },
    ]
    seq = 0
    for i in range(20):
        seq += 1
        if i == 10:
            lines.append(
                {
                    "type": "event",
                    **CoreEvent(
                        seq,
                        seq,
                        T0 + i,
                        1,
                        "meeting",
                        EventKind.ADMITTED,
                        "admitted from the lobby",
                    ).to_json(),
                }
            )
            snap = MeetingSnapshot(server="http://h", profile="test", badge="Admitted")
            lines.append({"type": "snapshot", "wall": T0 + i, **snap.to_json()})
        elif i == 15:
            lines.append(
                {
                    "type": "event",
                    **CoreEvent(
                        seq,
                        seq,
                        T0 + i,
                        1,
                        "default",
                        EventKind.CLOSED,
                        "closed 1006",
                        {"code": 1006},
                    ).to_json(),
                }
            )
        else:
            lines.append(
                {
                    "type": "latency",
                    "seq": seq,
                    "t": seq,
                    "wall": T0 + i,
                    "generation": 1,
                    "channel": "default",
                    "ms": 1.0 + i,
                }
            )
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n")


async def _window(qsettings: QSettings) -> tuple[MainWindow, Waiter]:
    w = build_window(qsettings, profile("test"), None)
    w.show()
    return w, Waiter(w.bridge)


async def _close(w: MainWindow) -> None:
    w.close()
    await asyncio.wait_for(w.closed, 15)


async def test_selecting_a_row_or_moving_the_slider_shows_that_moment(
    qsettings: QSettings, tmp_path: Path
) -> None:
    path = tmp_path / "rec.jsonl"
    _recording(path)
    w, waiter = await _window(qsettings)
    try:
        w.review.open_file(path)
        await waiter.until(lambda: w.review.ready, 10, "review filled")
        log, latency = w.review.panels["Event log"], w.review.panels["Latency"]
        meeting = w.review.panels["Meeting"]
        assert isinstance(log, EventLogPanel) and isinstance(latency, LatencyPanel)
        assert meeting.badge.text() == "Admitted"  # type: ignore[attr-defined]  # the end
        # the status bar counts what the log counts
        assert f"{log.model.total} events" in w.status.currentMessage()
        assert f"{log.model.total} events" in log.count.text()

        log.heartbeats.setChecked(False)  # ping rows too
        rows = {log.proxy.event_at(r).wall: r for r in range(log.proxy.rowCount())}
        log.table.selectRow(rows[T0 + 3])
        assert meeting.badge.text() == "Lobby"  # type: ignore[attr-defined]
        assert latency.cursor_at == T0 + 3 and w.review.at == T0 + 3
        early = w.review.bar.slider.value()
        log.table.selectRow(rows[T0 + 12])
        assert meeting.badge.text() == "Admitted"  # type: ignore[attr-defined]
        assert w.review.bar.slider.value() > early
        assert "snapshot 2/2" in w.review.bar.at.text()
        # the slider: back to the start
        w.review.bar.slider.setValue(0)
        assert meeting.badge.text() == "Lobby"  # type: ignore[attr-defined]
        assert latency.cursor_at == T0 and "snapshot 1/2" in w.review.bar.at.text()
    finally:
        await _close(w)


async def test_event_log_exports_say_what_they_hold_and_the_jsonl_reopens(
    qsettings: QSettings, tmp_path: Path
) -> None:
    w, waiter = await _window(qsettings)
    seen: list[CoreEvent] = []
    w.bridge.event.connect(seen.append)
    try:
        log = w.log
        for i in range(1, 31):
            ch = "default" if i % 3 else "practice"
            log.on_event(CoreEvent(i, i, T0 + i, 1, ch, EventKind.STATE, f"state {i}", {"n": i}))
        log.model.flush()
        log.channel_box.setCurrentIndex(log.channel_box.findData("practice"))
        out = tmp_path / "practice.csv"
        n = await log.export_jsonl_async(out, as_csv=True)
        assert n == 10
        assert log.count.text() == f"exported 10 of 30 rows (filtered) — saved to {out}"
        with out.open() as fh:
            table = list(csv.DictReader(fh))
        assert len(table) == 10 and {r["channel"] for r in table} == {"practice"}
        assert json.loads(table[0]["data"]) == {"n": 3}

        log.channel_box.setCurrentIndex(0)
        jsonl = tmp_path / "all.jsonl"
        assert await log.export_jsonl_async(jsonl) == 30
        assert log.count.text() == f"exported 30 rows — saved to {jsonl}"
        # the window's own export opens in File › Open session
        w.review.open_file(jsonl)
        await waiter.until(lambda: w.review.ready, 10, "export reviewed")
        shown = w.review.panels["Event log"]
        assert isinstance(shown, EventLogPanel) and shown.model.total == 30
        assert "event log export" in w.review.bar.warning.text()
        w.review.back_to_live()
        # the CSV does not, and says where it goes
        w.review.open_file(out)
        await waiter.until(lambda: not w.review.loading, 10, "refusal")
        errors = [e for e in seen if e.kind is EventKind.ERROR]
        assert "CSV export is for spreadsheets" in errors[-1].summary
        assert "JSON lines" in errors[-1].summary and not w.review.active
    finally:
        await _close(w)


async def test_dialogs_start_in_the_last_folder(qsettings: QSettings, tmp_path: Path) -> None:
    w, _ = await _window(qsettings)
    try:
        folder = tmp_path / "exports"
        folder.mkdir()
        w.log._ask_path("jsonl")
        dlg = w.log.findChild(QFileDialog, "logExportDialog")
        assert dlg is not None
        assert any("Open session" in f for f in dlg.nameFilters())  # says where it reopens
        assert "CSV (*.csv)" in dlg.nameFilters()
        dlg.selectNameFilter("CSV (*.csv)")
        dlg.filterSelected.emit("CSV (*.csv)")  # what picking the CSV filter does
        assert dlg.selectedFiles()[0].endswith("dcmon-events.csv")
        dlg.fileSelected.emit(str(folder / "x.jsonl"))  # what choosing a file does
        dlg.reject()
        await asyncio.sleep(0)  # let the export task start and end (a tiny log)
        w.log._ask_path("csv")
        again = w.log.findChild(QFileDialog, "latencyExportDialog")
        assert again is not None and Path(again.directory().absolutePath()) == folder
        assert qsettings.value("dialogs/export") == str(folder)  # across starts too
        again.reject()
        assert lastdir.get("export") == str(folder)
    finally:
        await _close(w)
