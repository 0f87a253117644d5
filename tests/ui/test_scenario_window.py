"""File > Run scenario…: a scenario file run on the window's own panels and simulator,
with progress in the Scenario dock and the log, a verdict, an exported report, and Stop."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from app.core.events import ChannelName, EventKind
from app.core.settings import profile
from app.ui.window import build_window
from tests.ui.driver import MEETING, open_ui

ROOT = Path(__file__).resolve().parents[2]
R1 = ROOT / "scenarios" / "r1_drop_1006_resubscribe.toml"
DEFAULT = ChannelName.DEFAULT

WAITS = """
name = "waits for an admit that never comes"
setup = { profile = "test", lobby = true, webinar = false }
steps = [
  { join = true },
  { expect = "badge", equals = "Lobby" },
  { expect = "badge", equals = "Admitted", within = 60, note = "nobody admits: waits" },
  { leave = true },
]
"""


async def test_r1_from_the_menu_passes_on_the_live_panels(
    qsettings: QSettings, tmp_path: Path
) -> None:
    async with open_ui(qsettings) as ui:
        w = ui.w
        reconnects: list[str] = []
        w.bridge.snapshot.connect(lambda _s: reconnects.append(ui.card(DEFAULT).counts.text()))
        w.actions_by_name["run_scenario"].trigger()
        dlg = w.findChild(QFileDialog, "scenarioDialog")
        assert dlg is not None and dlg.isVisible()
        dlg.selectFile(str(R1))
        dlg.accept()  # what choosing the file and "Open" does

        result = await ui.until(lambda: w.scenario.result, 30, "scenario verdict")
        panel = w.scenario.panel
        assert result.passed, result.failure
        assert panel.result.text().startswith("<b>PASS: 14/14 steps")
        assert not w.docks["Scenario"].isHidden()
        items = [panel.steps.topLevelItem(i) for i in range(panel.steps.topLevelItemCount())]
        assert [i.text(2) for i in items] == ["ok"] * 14
        assert not panel.stop_button.isEnabled() and panel.export_button.isEnabled()
        # the run drove the panels: the default card went through its reconnect
        assert any(t.startswith("1 (") for t in reconnects), reconnects[-3:]
        assert f"{R1.stem}-" in (w.bridge.last_snapshot.meeting_id or "")
        # every step is in the log, as synthetic "scenario" lines
        lines = [e.summary for e in ui.events if e.channel == "scenario"]
        for n in range(1, 15):
            assert any(s.startswith(f"step {n}/14: ") for s in lines), n
            assert any(s.startswith(f"step {n}/14 ok (") for s in lines), n
        assert any(s.startswith("PASS R1") for s in lines)
        assert any(e.channel == "scenario" for e in w.log.model.all_events())
        # then the window is given back as it was (not joined before: a fresh idle client)
        await ui.until(lambda: w.scenario.restored.is_set(), 10, "window restored")
        assert w.actions_by_name["run_scenario"].isEnabled()

        w.scenario.export(tmp_path / "r1.json")
        report = json.loads((tmp_path / "r1.json").read_text())
        assert report["passed"] is True and report["files"][0]["status"] == "passed"
        assert len(report["files"][0]["steps"]) == 14
        w.scenario.export(tmp_path / "r1.xml")
        suite = ET.parse(tmp_path / "r1.xml").getroot().find("testsuite")
        assert suite is not None and suite.get("tests") == "14" and suite.get("failures") == "0"


async def test_a_failing_copy_ends_fail_with_the_message(
    qsettings: QSettings, tmp_path: Path
) -> None:
    text = R1.read_text().replace(
        '{ expect = "channel.default.reconnects", equals = 1 }',
        '{ expect = "channel.default.reconnects", equals = 2, within = 0.3 }',
    )
    assert "equals = 2" in text
    broken = tmp_path / "r1_broken.toml"
    broken.write_text(text)
    async with open_ui(qsettings) as ui:
        w = ui.w
        w.scenario.run_file(broken)
        result = await ui.until(lambda: w.scenario.result, 30, "scenario verdict")
        assert not result.passed
        panel = w.scenario.panel
        assert panel.result.text().startswith("<b>FAIL: 7/14 steps")
        assert "not met within 0.3 s" in panel.result.text()
        assert "channel.default.reconnects is 1" in panel.result.text()
        assert panel.steps.topLevelItem(7).text(2) == "FAIL"
        assert panel.steps.topLevelItem(8).text(2) == "skip"
        failed = [e for e in ui.events if e.channel == "scenario" and e.kind is EventKind.ERROR]
        assert any("step 8/14 FAIL" in e.summary for e in failed)
        w.scenario.export(tmp_path / "broken.json")
        assert json.loads((tmp_path / "broken.json").read_text())["passed"] is False


async def test_stop_mid_run_leaves_the_meeting_and_tears_down(
    qsettings: QSettings, tmp_path: Path
) -> None:
    waits = tmp_path / "waits.toml"
    waits.write_text(WAITS)
    async with open_ui(qsettings) as ui:
        w = ui.w
        await ui.join()  # in the demo meeting: the run asks before leaving it (non-modal)
        old_pid = ui.snap.participant_id
        w.confirm.set_enabled(True)
        w.scenario.run_file(waits)
        box = w.confirm.box
        assert box is not None and box.isVisible() and MEETING in box.text()
        assert not w.scenario.running  # nothing starts before the answer
        box.button(box.StandardButton.Yes).click()

        await ui.until(lambda: "step 3/4" in w.scenario.panel.progress.text(), 10, "step 3")
        assert w.scenario.running and not w.actions_by_name["run_scenario"].isEnabled()
        assert not w.meeting.join_button.isEnabled()  # would replace the run's client
        meeting = ui.snap.meeting_id
        assert meeting and meeting.startswith("waits-") and ui.snap.badge == "Lobby"
        w.scenario.panel.stop_button.click()
        result = await ui.until(lambda: w.scenario.result, 10, "stopped verdict")
        assert [s.status.value for s in result.steps] == [
            "passed",
            "passed",
            "interrupted",
            "skipped",
        ]
        assert w.scenario.panel.result.text().startswith("<b>STOPPED: 2/4")
        assert not w.scenario.running
        # the window is given back as it was: in the demo meeting again (issue 12, item 14)
        await ui.until(lambda: w.scenario.restored.is_set(), 10, "window restored")
        assert w.actions_by_name["run_scenario"].isEnabled()
        sim = w.session.sim
        state = await sim.state(meeting)
        assert [p["phase"] for p in state["participants"]] == ["left"]
        demo = await sim.state(MEETING)  # the participant the window had before: left
        assert {p["participantId"]: p["phase"] for p in demo["participants"]}[old_pid] == "left"
        # and a new one of the window's own, on the window's profile
        await ui.until(lambda: ui.snap.meeting_id == MEETING and ui.snap.badge == "Lobby", 10)
        assert ui.snap.participant_id != old_pid
        assert w.session.client.settings is w.session.settings


async def test_refused_without_the_simulator_backend(qsettings: QSettings) -> None:
    w = build_window(qsettings, profile("test"), None)
    try:
        w.scenario.run_file(R1)
        assert "needs the simulator backend" in w.banner.label.text()
        assert not w.scenario.running and w.scenario.panel.total == 0
    finally:
        w.close()
        await asyncio.wait_for(w.closed, 10)
