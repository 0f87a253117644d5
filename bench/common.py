"""Shared helpers: budgets, statistics, progress, child processes, a simulator process.

Every benchmark measures dcmon and its floor in the same run, interleaved (A B B A ...), and
reports medians and ratios: the machines here are small and shared, so absolute times move
from run to run while ratios measured side by side hold still.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
USER_TOKEN = "bench-user-token-0123456789"
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# -- budgets --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Budget:
    """How much each benchmark repeats. `full` is `make bench`; `quick` is `--quick`;
    `smoke` only proves the code still runs end to end (tests/bench)."""

    level: str  # "full" | "quick" | "smoke"

    @property
    def full(self) -> bool:
        return self.level == "full"

    @property
    def smoke(self) -> bool:
        return self.level == "smoke"

    def pick(self, full: Any, quick: Any, smoke: Any) -> Any:
        return {"full": full, "quick": quick, "smoke": smoke}[self.level]


# -- progress -------------------------------------------------------------------------------
_quiet = False


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet
    os.environ["BENCH_QUIET"] = "1" if quiet else ""


def progress(message: str) -> None:
    """One line on stderr, so stdout stays the table (and a child's stdout its JSON)."""
    if _quiet or os.environ.get("BENCH_QUIET"):
        return
    print(f"  .. {message}", file=sys.stderr, flush=True)


# -- statistics -----------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile (q in 0..1); NaN for no data."""
    if not values:
        return math.nan
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def ratio(a: float, b: float) -> float:
    if b is None or a is None or b == 0 or math.isnan(a) or math.isnan(b):
        return math.nan
    return a / b


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": median(values),
        "p10": quantile(values, 0.10),
        "p90": quantile(values, 0.90),
        "min": min(values) if values else math.nan,
        "max": max(values) if values else math.nan,
    }


def abba(n: int) -> Iterator[tuple[int, bool]]:
    """(rep, dcmon_first) for n rounds: A B, B A, A B ... so neither side always goes first."""
    for i in range(n):
        yield i, i % 2 == 0


def abba_with(n: int, dcmon: Any, floor: Any, other: Any) -> Iterator[tuple[int, list[Any]]]:
    """(rep, order) for n rounds: dcmon and floor back to back as in `abba`, and `other` (a
    third side, e.g. the old floor) before the pair in two rounds out of four, after it in
    the other two, so its position is balanced too."""
    for i, dcmon_first in abba(n):
        pair = [dcmon, floor] if dcmon_first else [floor, dcmon]
        yield i, [other, *pair] if i % 4 < 2 else [*pair, other]


def paired_ratio(dcmon: Sequence[float], floor: Sequence[float]) -> float:
    """Median of dcmon / floor over repetitions run back to back (pair i: dcmon[i], floor[i]):
    what the machine was doing is shared within a pair, so drift cancels. Shown beside the
    ratio of medians (the target), as a second reading of the same run."""
    return statistics.median(d / f for d, f in zip(dcmon, floor, strict=True) if f > 0)


def clean_slate() -> None:
    """Collect garbage before a timed repetition: one side's leftovers would otherwise be
    collected in whichever side runs next (a 5 ms gen-1 pass in a 10 ms admit). Garbage a
    side makes inside its own window is still collected there, as in real use."""
    gc.collect()


def ms(ns: int | float) -> float:
    return ns / 1e6


# -- memory ---------------------------------------------------------------------------------
def rss_bytes(pid: int | str = "self") -> int:
    """Resident set size from /proc/<pid>/statm (second field, pages)."""
    with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * PAGE


# -- child processes ------------------------------------------------------------------------
def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_child(module: str, func: str, kwargs: dict[str, Any], timeout: float = 600) -> Any:
    """Run bench.<module>.<func>(**kwargs) in a fresh interpreter; return its JSON result.

    Used where the measurement needs a clean process (RSS, start-up, the Qt window) or its
    own core (the GUI under load, with the simulator in yet another process).
    """
    cmd = [sys.executable, "-m", "bench._child", module, func, json.dumps(kwargs)]
    done = subprocess.run(
        cmd,
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=None,  # progress lines pass straight through
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln[:1] in ("{", "[")]
    if done.returncode != 0 or not lines:
        tail = done.stdout.strip().splitlines()[-5:]
        raise RuntimeError(f"child {module}.{func} failed (exit {done.returncode}): {tail}")
    return json.loads(lines[-1])


class SimProcess:
    """The simulator in its own process (bench/_simproc.py): its CPU is not ours.

    Commands go over stdin, one JSON per line; answers come back one JSON line each.
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self, timeout: float = 20.0) -> str:
        self.spawn()
        return self.wait_ready(timeout)

    def spawn(self) -> None:
        """Start the process without waiting (boot it while doing something else)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench._simproc"],
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )

    def wait_ready(self, timeout: float = 20.0) -> str:
        line = self._readline(timeout)
        self.base_url = json.loads(line)["baseUrl"]
        return self.base_url

    def _readline(self, timeout: float) -> str:
        assert self.proc is not None and self.proc.stdout is not None
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(timeout):
                raise TimeoutError(f"simulator process gave no answer within {timeout:g} s")
        finally:
            sel.close()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator process ended (exit {self.proc.poll()})")
        return line

    def command(self, timeout: float = 20.0, **cmd: Any) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self._readline(timeout))
        if "error" in answer:
            raise RuntimeError(f"simulator process: {answer['error']}")
        return answer

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(Exception):
            assert proc.stdin is not None
            proc.stdin.close()  # EOF: the process stops its simulator and exits
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()  # our own child, by its handle
            proc.wait(5)

    def __enter__(self) -> SimProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter_ns()
    value = fn()
    return value, ms(time.perf_counter_ns() - t0)


def jsonable(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj
