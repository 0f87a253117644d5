"""Stopping a run (Ctrl+C in the CLI, the stop event for the window): the step in progress is
abandoned, the rest skipped, and teardown still runs (client left, simulator stopped)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.scenario import RunHooks, StepResult, load_text, run_scenario
from app.scenario.results import Status

from .helpers import ROOT

WAITS = """
setup = { profile = "test", lobby = true, webinar = false }
steps = [
  { join = true },
  { expect = "badge", equals = "Lobby" },
  { expect = "badge", equals = "Admitted", within = 60, note = "nobody admits: waits" },
  { leave = true },
]
"""


async def test_stop_event_abandons_the_step_and_tears_down() -> None:
    stop = asyncio.Event()
    seen: dict[str, object] = {}

    def on_step(result: StepResult) -> None:
        if result.index == 2:  # set while step 3 is waiting (no sleep: the next loop turn)
            asyncio.get_running_loop().call_soon(stop.set)

    hooks = RunHooks(
        on_start=lambda scenario, info: seen.setdefault("server", info.server),
        on_client=lambda client: seen.setdefault("client", client),
        on_step=on_step,
    )
    started = time.monotonic()
    result = await run_scenario(load_text(WAITS, "waits.toml"), hooks=hooks, stop=stop)
    assert time.monotonic() - started < 10
    assert result.status is Status.INTERRUPTED
    assert [s.status for s in result.steps] == [
        Status.PASSED,
        Status.PASSED,
        Status.INTERRUPTED,
        Status.SKIPPED,
    ]
    assert result.steps[3].message == "not run: interrupted"
    client = seen["client"]
    # the run's client (app/clients interface; the native core by default) left at teardown
    assert client.kind == "native" and client.snapshot.badge == "Left"  # type: ignore[attr-defined]
    async with httpx.AsyncClient(trust_env=False) as http:
        with pytest.raises(httpx.ConnectError):  # the embedded simulator is gone
            await http.get(f"{seen['server']}/sim/faults")


def test_ctrl_c_in_the_cli_stops_tears_down_and_reports(tmp_path: Path) -> None:
    scenario = tmp_path / "waits.toml"
    scenario.write_text(WAITS)
    report = tmp_path / "r.json"
    cmd = [sys.executable, "-m", "app", "scenario", str(scenario), "--report", str(report)]
    with subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:  # synchronised on the output, not on a sleep
            if line.split()[:2] == ["2", "ok"]:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert "INTERRUPTED" in out
    data = json.loads(report.read_text())
    steps = data["files"][0]["steps"]
    assert data["files"][0]["status"] == "interrupted"
    assert steps[2]["status"] in ("interrupted", "skipped") and steps[3]["status"] == "skipped"
