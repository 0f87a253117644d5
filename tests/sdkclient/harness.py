"""The real simulator and the real SDK driver as child processes, for the driver's flow tests.

Both are started per test and stopped by PID. The driver's stdout lines are collected by a
reader thread; tests wait on them (or on the simulator's state view) with deadlines, never on
sleeps. A missing Node fails the test with the install line: nothing here skips.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SDKCLIENT = REPO / "sdkclient"
INSTALL_LINE = "apt-get install -y nodejs npm"
# a_b_<orgId>: the shape webex-core reads its org id from (no catalog shim needed)
USER_TOKEN = "sdktest_0123456789abcdef_1eb65fdf-9643-417f-9974-ad72cae0e10f"

Line = dict[str, Any]


def require_node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"the SDK driver tests need Node.js 18.18+ and npm: {INSTALL_LINE}")
    if not (SDKCLIENT / "node_modules" / "@webex" / "plugin-meetings").is_dir():
        pytest.fail(
            "sdkclient/node_modules is missing: run `bash sdkclient/install.sh` "
            "(make test does it; needs node and npm: " + INSTALL_LINE + ")"
        )
    return node


def _stop(proc: subprocess.Popen[Any], grace_s: float = 5.0) -> None:
    """Stop one child we started, by its PID: SIGTERM, then SIGKILL after the grace."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace_s)


class Sim:
    """`python -m app sim --port 0`; its first stdout line is its URL."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "sim", "--port", "0", "--no-demo-meeting"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1"):
            _stop(self.proc)
            raise RuntimeError(f"simulator did not print its URL (got {line!r})")
        self.url = line
        self.http = httpx.Client(base_url=self.url, trust_env=False, timeout=10)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.request(method, path, json=body)
        assert answer.status_code < 300, f"{method} {path} -> {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def meeting(self, meeting_id: str) -> dict[str, Any]:
        return self.call("GET", f"/sim/meetings/{meeting_id}")

    def participant(self, meeting_id: str) -> dict[str, Any] | None:
        parts = self.meeting(meeting_id).get("participants") or []
        live = [p for p in parts if p.get("phase") != "left"]
        return (live or parts or [None])[-1]

    def sockets(self, meeting_id: str, channel: str) -> list[dict[str, Any]]:
        p = self.participant(meeting_id)
        if p is None:
            return []
        return ((p.get("channels") or {}).get(channel) or {}).get("sockets") or []

    def close(self) -> None:
        self.http.close()
        _stop(self.proc)


class Driver:
    """`node -r ./netguard.js driver.js`: commands in, lines out."""

    def __init__(self, node: str, args: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [node, "-r", "./netguard.js", "driver.js", *(args or [])],
            cwd=SDKCLIENT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines: list[Line] = []
        self.bad: list[str] = []
        self.stderr: list[str] = []
        self._cond = threading.Condition()
        self._next_id = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                self.bad.append(raw)
                continue
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr.append(raw.rstrip())
            del self.stderr[:-300]

    def send(self, cmd: str, **fields: Any) -> int:
        self._next_id += 1
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"id": self._next_id, "cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()
        return self._next_id

    def wait(
        self, what: str, pred: Callable[[Line], bool], timeout: float = 20, after: int = 0
    ) -> Line:
        """The first line (from index `after`) matching `pred`, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines[after:]:
                    if pred(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    tail = "\n".join(json.dumps(x)[:300] for x in self.lines[-25:])
                    err = "\n".join(self.stderr[-15:])
                    raise AssertionError(
                        f"no line for {what} within {timeout} s\n--- last lines ---\n{tail}"
                        f"\n--- stderr ---\n{err}"
                    )
                self._cond.wait(min(left, 0.5))

    def ev(self, ev: str, after: int = 0, **match: Any) -> Callable[[Line], bool]:
        return lambda line: line.get("ev") == ev and all(line.get(k) == v for k, v in match.items())

    def result(self, cmd_id: int, timeout: float = 30) -> Line:
        line = self.wait(f"result {cmd_id}", self.ev("result", id=cmd_id), timeout)
        assert line["ok"], f"command {cmd_id} failed: {line.get('error')}"
        return line

    def run(self, cmd: str, timeout: float = 30, **fields: Any) -> Line:
        return self.result(self.send(cmd, **fields), timeout)

    def mark(self) -> int:
        with self._cond:
            return len(self.lines)

    def find(self, ev: str, after: int = 0, **match: Any) -> list[Line]:
        pred = self.ev(ev, **match)
        with self._cond:
            return [line for line in self.lines[after:] if pred(line)]

    def quit(self, timeout: float = 20) -> int | None:
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _stop(self.proc)
        return self.proc.returncode


def until(what: str, check: Callable[[], Any], timeout: float = 10, every: float = 0.05) -> Any:
    """Poll `check` (the simulator's view, say) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def watch_window(seconds: float, check: Callable[[], None], every: float = 0.1) -> None:
    """Run `check` (which asserts) repeatedly for `seconds`: a "this must not happen" window.

    Used only for negative outcomes (no reconnect after 4000, no caption after a drop), where
    there is no event to wait for; each pass re-reads the driver's lines and the simulator.
    """
    deadline = time.monotonic() + seconds
    while True:
        check()
        if time.monotonic() >= deadline:
            return
        time.sleep(every)


@contextmanager
def sdk_session(
    sim_args: dict[str, Any] | None = None,
    before_start: Callable[[Sim], None] | None = None,
    guarded: bool = True,
    wait_start: bool = True,
    token: str = USER_TOKEN,
) -> Iterator[tuple[Sim, Driver, str]]:
    """A simulator with one meeting, a started driver; both stopped by PID afterwards.

    `guarded`: at the end, no `netguard` line may have been printed (nothing left loopback).
    `wait_start`: wait for `start` to succeed (off when the start is expected to hang).
    """
    node = require_node()
    sim = Sim()
    driver: Driver | None = None
    try:
        created = sim.call(
            "POST", "/sim/meetings", {"lobby": False, "webinar": False, **(sim_args or {})}
        )
        if before_start is not None:
            before_start(sim)
        driver = Driver(node)
        ready = driver.wait("ready", driver.ev("ready"), 20)
        assert ready["sdkVersion"] == "3.12.0"
        assert ready["netguard"] is True
        if wait_start:
            driver.run("start", server=sim.url, token=token, timeout=60)
        else:
            driver.send("start", server=sim.url, token=token)
        yield sim, driver, created["meetingId"]
        if guarded:
            assert not driver.find("netguard"), "the SDK tried to leave loopback"
        assert not driver.bad, f"non-JSON on stdout: {driver.bad[:3]}"
    finally:
        if driver is not None:
            driver.quit()
        sim.close()
