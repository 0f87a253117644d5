"""Issue 13 in the window: the Incidents panel (three disruptions, three rows, a swim lane,
the span on the latency plot), the caption gap marker, step mode, Save session as
scenario and the compare view. A real window over the embedded simulator."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from app.core.events import ChannelName
from app.scenario.loader import load_text
from app.scenario.runner import RunOptions, run_scenario
from tests.ui.driver import open_ui

ROOT = Path(__file__).resolve().parents[2]
THREE = ROOT / "tests" / "incidents" / "three_disruptions.toml"

SMALL = """
name = "two steps"
setup = { profile = "test", lobby = false, webinar = false }
steps = [
  { join = true },
  { expect = "channel.default.state", equals = "online" },
  { leave = true },
]
"""


async def test_three_disruptions_make_three_incidents(qsettings: QSettings, tmp_path: Path) -> None:
    fast = tmp_path / "three.toml"  # the same session on the test profile (fast pings)
    fast.write_text(THREE.read_text().replace('profile = "demo"', 'profile = "test"'))
    async with open_ui(qsettings) as ui:
        w = ui.w
        w.scenario.run_file(fast)
        result = await ui.until(lambda: w.scenario.result, 60, "scenario verdict")
        assert result.passed, result.failure
        assert len(result.incidents) == 3  # the report carries them too
        panel = w.issue13.panel
        await ui.until(lambda: (panel.refresh(), len(panel.incidents) == 3)[1], 10, "3 rows")
        assert panel.table.rowCount() == 3
        causes = [panel.table.item(r, 2).text() for r in range(3)]
        assert "action=reset" in causes[0] and "action=halfopen" in causes[1]
        assert causes[2].startswith("host rotate")
        assert "pong timeout" in panel.table.item(1, 3).text()
        assert all(panel.table.item(r, 8).text() == "recovered" for r in range(3))
        assert "3 incidents" in panel.summary.text()

        panel.select(3)  # the rotation: its swim lane and its span on the latency plot
        inc = panel.lanes.incident
        assert inc is not None and inc.number == 3
        lanes = {s.lane for s in inc.steps}
        assert {"cause", "detect", "register", "token", "connect", "subscribe"} <= lanes
        region = w.issue13.highlight.region()
        assert region is not None
        assert abs(region[0] - inc.start) < 1e-3 and abs(region[1] - inc.end) < 1e-3
        assert not w.latency.follow.isChecked()  # the plot stays on the span
        grab = panel.lanes.grab()
        assert grab.width() > 0

        # the caption gap marker: the half-open lost captions
        w.captions.flush()
        markers = [line for line in w.captions.shown_lines() if "without captions on" in line]
        assert w.captions.gap_markers >= 1 and markers, w.captions.shown_lines()[-5:]


async def test_step_mode_waits_for_next(qsettings: QSettings, tmp_path: Path) -> None:
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    async with open_ui(qsettings) as ui:
        w = ui.w
        gate = w.scenario.panel.gate
        gate.set_step_by_step()
        w.scenario.run_file(path)
        for n in (1, 2, 3):
            await ui.until(lambda: gate.next_button.isEnabled(), 10, f"waiting before step {n}")
            assert gate.waiting.text().startswith(f"next: step {n}:")
            done = [
                w.scenario.panel.steps.topLevelItem(i).text(2)
                for i in range(w.scenario.panel.steps.topLevelItemCount())
            ]
            assert done[n - 1] == "" and all(d == "ok" for d in done[: n - 1]), done
            gate.next_button.click()
        result = await ui.until(lambda: w.scenario.result, 20, "verdict")
        assert result.passed, result.failure


async def test_save_session_as_scenario(qsettings: QSettings, tmp_path: Path) -> None:
    async with open_ui(qsettings) as ui:
        w = ui.w
        await ui.join()
        await ui.admit()
        mark = len(ui.events)
        w.session.drop(ChannelName.DEFAULT, "reset")
        await ui.until(
            lambda: any(e.kind.value == "online" for e in ui.events[mark:]), 10, "back online"
        )
        await ui.until(lambda: ui.online_and_subscribed(ChannelName.DEFAULT), 10, "subscribed")
        dialog = w.issue13.save_as_scenario()
        assert dialog is not None and dialog.isVisible()
        text = dialog.text.toPlainText()
        assert "{ join = true }" in text and '{ host = "admit" }' in text
        assert '{ drop = "default", how = "reset" }' in text
        load_text(text)  # valid as generated
        assert dialog.save(tmp_path / "saved.toml")
        saved = load_text((tmp_path / "saved.toml").read_text())
        kinds = [s.type_name for s in saved.steps if s.type_name not in ("expect", "mark")]
        assert kinds[-3:] == ["join", "host", "drop"], kinds
        replay = await run_scenario(saved, RunOptions(profile="test"))  # its own simulator
        assert replay.passed, replay.failure + "\n" + text
        dialog.text.setPlainText(text.replace("steps = [", "steps = [ oops"))
        assert not dialog.save(tmp_path / "bad.toml")  # checked before it is written
        assert "not valid TOML" in dialog.problem.text() or dialog.problem.text()
        dialog.close()


async def test_compare_view_names_the_difference(qsettings: QSettings, tmp_path: Path) -> None:
    from tests.incidents.session import record_three_disruptions

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    await record_three_disruptions(a)
    await record_three_disruptions(b, token_delay_ms=2000)
    async with open_ui(qsettings) as ui:
        view = ui.w.issue13.open_compare(str(a), str(b))
        assert view.comparison is not None
        text = view.differences.text()
        assert "token-p95" in text and "recover-p95" in text
        names = [view.figures.item(r, 0).text() for r in range(view.figures.rowCount())]
        row = names.index("token-p95")
        assert view.figures.item(row, 3).text().startswith("+")
        assert view.incidents["A"].rowCount() == 3 and view.incidents["B"].rowCount() == 3
        assert view.sequence.rowCount() > 10
        view.close()


async def test_a_recording_under_review_shows_its_incidents(
    qsettings: QSettings, tmp_path: Path
) -> None:
    from tests.incidents.session import record_three_disruptions

    path = tmp_path / "three.jsonl"
    await record_three_disruptions(path)
    async with open_ui(qsettings) as ui:
        w = ui.w
        panel = w.issue13.panel
        w.review.open_file(path)
        await ui.until(lambda: w.review.ready, 20, "review filled")
        await ui.until(lambda: len(panel.incidents) == 3, 5, "the recording's incidents")
        causes = [i.cause.describe() if i.cause else "?" for i in panel.incidents]
        assert "action=reset" in causes[0] and "action=halfopen" in causes[1], causes
        assert "pong timeout" in panel.incidents[1].detection
        panel.select(2)
        region = w.issue13.highlight.region()
        inc = panel.incidents[1]
        assert region is not None and abs(region[0] - inc.start) < 1e-3
        w.review.back_to_live()
        await ui.until(lambda: not panel.incidents, 5, "live again: no incidents here")
