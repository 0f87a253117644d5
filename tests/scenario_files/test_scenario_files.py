"""Every file in scenarios/ runs and passes against an embedded simulator (test profile)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.scenario import RunOptions, load_file, load_text, run_scenario
from app.scenario.results import Status

from .helpers import ROOT, ROWS, SCENARIOS, scenario_files


def test_every_scenarios_md_row_has_a_file() -> None:
    names = [p.name for p in scenario_files()]
    missing = [row for row in ROWS if not any(n.startswith(f"{row}_") for n in names)]
    assert not missing, f"no scenario file for rows {missing}"
    assert "demo_tour.toml" in names


def test_every_file_uses_the_fast_profile() -> None:
    slow = [p.name for p in scenario_files() if load_file(p).setup.profile != "test"]
    assert not slow


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
async def test_scenario_passes(path: Path) -> None:
    result = await run_scenario(load_file(path))
    assert result.status is Status.PASSED, result.failure
    assert all(step.ok for step in result.steps)
    assert result.last_snapshot is not None and result.timeline
    # the timeline is taken after teardown: it shows the client leaving
    assert any(e["summary"] == "left the meeting" for e in result.timeline)


@pytest.mark.parametrize("name", ["a1_guest_admitted.toml", "r3_left_meeting_stays_quiet.toml"])
async def test_against_a_running_server(sim, name: str) -> None:
    """--server: host steps over HTTP, sim state fetched on core changes (no wait_for)."""
    scenario = load_file(SCENARIOS / name)
    first = await run_scenario(scenario, RunOptions(server=sim.base_url))
    assert first.status is Status.PASSED, first.failure
    again = await run_scenario(scenario, RunOptions(server=sim.base_url))  # same server
    assert again.status is Status.PASSED, again.failure
    ids = {first.sim_state["meetingId"], again.sim_state["meetingId"]}  # type: ignore[index]
    assert len(ids) == 2 and all(
        re.fullmatch(r"r3b-[0-9a-f]{6}|a1_guest_admitted-[0-9a-f]{6}", i) for i in ids
    )


async def test_the_documented_example_runs() -> None:
    """docs/SCENARIOS_FORMAT.md's complete example is a valid, passing scenario."""
    doc = (ROOT / "docs" / "SCENARIOS_FORMAT.md").read_text(encoding="utf-8")
    section = doc.split("## A complete example", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    result = await run_scenario(load_text(example, "docs-example.toml"))
    assert result.status is Status.PASSED, result.failure


def test_the_package_imports_no_qt() -> None:
    """app.scenario runs headless (and inside the window): it must never pull in Qt."""
    code = (
        "import sys, pkgutil, importlib, app.scenario as s\n"
        "for m in pkgutil.iter_modules(s.__path__):\n"
        "    importlib.import_module('app.scenario.' + m.name)\n"
        "qt = ('PySide6', 'shiboken6', 'qasync', 'pyqtgraph')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
