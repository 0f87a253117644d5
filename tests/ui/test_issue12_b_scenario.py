"""Issue 12 part B, scenarios in the window and their files: an invalid file's whole error in
the Scenario panel, one word for a stopped run, the window as it was before the run (items
13, 14); the validator reports every error and lists the modes; `scenario --help` shows the
inline setup form (cosmetic)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app.core.events import EventKind
from app.scenario.cli import EPILOG
from app.scenario.loader import ScenarioError, load_text
from app.sim.faults import MODES
from tests.ui.driver import MEETING, SETTINGS, open_ui

BAD = """
name = "three mistakes"
setup = { profile = "test", meeting = "bad id!" }
steps = [
  { join = true },
  { fault = "token" },
  { expect = "badge", equal = "Lobby" },
]
"""

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


def test_the_validator_reports_every_error_and_lists_the_modes() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(BAD, "bad.toml")
    errors = caught.value.errors
    assert [(e.step, e.key) for e in errors] == [(None, "meeting"), (2, "mode"), (3, "equal")]
    text = str(caught.value)
    assert "(3 errors in bad.toml)" in text
    assert f"is required: one of {', '.join(MODES)}" in text
    assert "did you mean 'equals'?" in text
    # one error alone reads as before: no count line
    with pytest.raises(ScenarioError) as one:
        load_text('steps = [{ fault = "token" }]', "one.toml")
    assert one.value.errors == (one.value,) and "errors in" not in str(one.value)


def test_scenario_help_shows_the_inline_setup_not_the_header_trap() -> None:
    assert "setup = {" in EPILOG
    assert "A scenario file is TOML: [setup] (" not in EPILOG
    assert "after a [setup] header" in EPILOG  # and says why


async def test_an_invalid_file_shows_its_whole_error_in_the_scenario_panel(
    qsettings: QSettings, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD)
    async with open_ui(qsettings) as ui:
        w = ui.w
        w.scenario.panel.result.setText("<b>PASS: an earlier run</b>")
        w.scenario.run_file(bad)
        panel = w.scenario.panel
        assert not w.docks["Scenario"].isHidden()
        assert "not run, the file is invalid" in panel.title.text()
        shown = panel.result.text()
        assert "earlier run" not in shown and panel.steps.topLevelItemCount() == 0
        for needle in ("key 'meeting'", "step 2 (fault): key 'mode'", "step 3", "3 errors"):
            assert needle in shown, needle
        assert not w.scenario.running and not panel.export_button.isEnabled()


async def test_a_stopped_run_says_stopped_everywhere_and_the_window_comes_back(
    qsettings: QSettings, tmp_path: Path
) -> None:
    waits = tmp_path / "waits.toml"
    waits.write_text(WAITS.replace('profile = "test"', 'profile = "demo"'))
    async with open_ui(qsettings) as ui:
        w = ui.w
        await ui.join()
        old_pid = ui.snap.participant_id
        w.scenario.run_file(waits)  # confirmations are off in tests: runs at once
        await ui.until(lambda: "step 3/4" in w.scenario.panel.progress.text(), 10, "step 3")
        assert ui.snap.profile == "demo"  # the scenario's profile, while it runs
        w.scenario.panel.stop_button.click()
        await ui.until(lambda: w.scenario.result, 10, "stopped verdict")
        panel = w.scenario.panel
        assert panel.result.text().startswith("<b>STOPPED: 2/4")
        assert panel.bar.value() == 3 < panel.bar.maximum()  # not 100 %: step 4 never ran
        lines = [e.summary for e in ui.events if e.channel == "scenario"]
        assert any(s.startswith("STOPPED waits") for s in lines), lines[-3:]
        assert not any("INTERRUPTED" in s for s in lines)

        # back as before the run: the window's profile, in the meeting the user was in
        await ui.until(lambda: w.scenario.restored.is_set(), 10, "window restored")
        await ui.until(lambda: ui.snap.meeting_id == MEETING, 10, "back in the demo meeting")
        await ui.until(lambda: ui.snap.badge == "Lobby", 10, "lobby again")
        assert ui.snap.profile == SETTINGS.profile == w.session.settings.profile
        assert w.session.client.settings is w.session.settings
        assert w.meeting.meeting.text() == MEETING and ui.snap.participant_id != old_pid
        assert w.actions_by_name["run_scenario"].isEnabled()
        assert not [e for e in ui.events if e.kind is EventKind.ERROR and "restor" in e.summary]
