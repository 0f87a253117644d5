"""Running the simulator: wait_for, stop, its own thread, standalone (`python -m app sim`)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.sim import SimControl, Simulator, SimulatorThread

ROOT = Path(__file__).resolve().parents[2]


async def test_wait_for_wakes_on_change_and_returns_the_value(sim, ctl):
    waiter = asyncio.ensure_future(sim.wait_for(lambda s: s.state_view("W1")["meetingId"]))
    await asyncio.sleep(0)
    assert not waiter.done()
    started = time.monotonic()
    await ctl.create_meeting("W1")
    assert await asyncio.wait_for(waiter, 2) == "W1"  # LookupError counted as "not yet"
    assert time.monotonic() - started < 1


async def test_wait_for_timeout_names_the_condition(sim):
    def never_true(s):
        return False

    with pytest.raises(TimeoutError, match="never_true"):
        await sim.wait_for(never_true, timeout=0.05)


async def test_start_stop_are_idempotent_and_loopback_only():
    sim = Simulator()
    url = await sim.start()
    assert await sim.start() == url == sim.base_url
    assert url.startswith("http://127.0.0.1:")
    await sim.stop()
    await sim.stop()
    async with httpx.AsyncClient(trust_env=False) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(url + "/sim/meetings")
    with pytest.raises(ValueError, match="loopback"):
        Simulator(host="0.0.0.0")


def test_simulator_thread_serves_from_its_own_loop():
    thread = SimulatorThread()
    url = thread.start()
    try:
        with httpx.Client(base_url=url, trust_env=False, timeout=5) as http:
            created = http.post("/sim/meetings", json={"meetingId": "T1", "lobby": False})
            assert created.status_code == 201
        value = thread.call(
            thread.simulator.wait_for(lambda s: s.state_view("T1")["lobby"] is False)
        )
        assert value is True
        state = thread.call(_state(url, "T1"))
        assert state["meetingId"] == "T1"
        assert thread.state_view("T1") == state
    finally:
        thread.stop()
    assert not thread._thread.is_alive()
    with httpx.Client(trust_env=False) as http, pytest.raises(httpx.ConnectError):
        http.get(url + "/sim/meetings")
    thread.stop()  # idempotent


def test_simulator_thread_reports_a_taken_port():
    first = SimulatorThread()
    url = first.start()
    try:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(OSError):
            SimulatorThread(port=port).start()
    finally:
        first.stop()


async def _state(url: str, meeting_id: str) -> dict:
    async with SimControl(url) as ctl:
        return await ctl.state(meeting_id)


@pytest.mark.timeout(20)
async def test_run_standalone_prints_url_first_and_stops_on_sigterm():
    code = (
        "import asyncio; from app.sim import run_standalone; "
        "asyncio.run(run_standalone('127.0.0.1', 0))"
    )
    # No PYTHONUNBUFFERED: stdout is a pipe, so only an explicit flush gets the URL out.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode().strip()
        assert first.startswith("http://127.0.0.1:"), first
        async with SimControl(first) as ctl:
            demo = await ctl.state("demo-1")
        assert demo["lobby"] is True and demo["webinar"] is True
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
