"""6. Start-up: process start -> first paint of the dcmon window vs an empty PySide6 window.

Each sample is a fresh interpreter (bench/_startup_child.py) on the offscreen platform, with
a private XDG_CONFIG_HOME so no real settings are read or written. The parent stamps
perf_counter_ns just before spawning; the child prints perf_counter_ns (the same monotonic
clock) from an application event filter at the first paint of its top-level window, and
exits at once. dcmon and the empty window alternate A B B A. Target: dcmon <= 2x the empty
window. One extra dcmon start under `-X importtime` names the imports that cost the most.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Budget, abba, child_env, median, ms, progress, summary
from bench.report import Result, Row

NAME = "startup"
TITLE = "Start-up to first paint (offscreen)"
TARGET = 2.0
CHILD = Path(__file__).resolve().parent / "_startup_child.py"


def once(
    kind: str, config_home: str, extra: list[str] | None = None
) -> tuple[float, str, dict[str, float]]:
    env = child_env(XDG_CONFIG_HOME=config_home, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.perf_counter_ns()
    done = subprocess.run(
        [sys.executable, *(extra or []), str(CHILD), kind],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr[-300:]
        raise RuntimeError(f"{kind} start-up child failed ({done.returncode}): {tail}")
    stamps = {k: ms(int(v) - t0) for k, v in (kv.split("=") for kv in lines[-1].split())}
    return stamps["paint"], done.stderr, stamps


def import_costs(stderr: str, top: int = 8) -> list[tuple[str, float]]:
    """Packages by their own import time (ms, self time summed over their modules) from
    `-X importtime`: what each one costs wherever in the tree it is imported."""
    costs: dict[str, float] = {}
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")
    for line in stderr.splitlines():
        m = pattern.match(line)
        if m:
            parts = m.group(2).split(".")
            name = ".".join(parts[:2]) if parts[0] == "app" else parts[0]
            costs[name] = costs.get(name, 0.0) + int(m.group(1)) / 1000
    return sorted(costs.items(), key=lambda kv: -kv[1])[:top]


def run(budget: Budget) -> Result:
    reps = budget.pick(8, 3, 1)
    dcmon: list[float] = []
    empty: list[float] = []
    phases: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="dcmon-startup-") as cfg:
        if budget.full:
            once("empty", cfg)  # warm the page cache for both
            once("dcmon", cfg)
        for i, dcmon_first in abba(reps):
            for kind in ("dcmon", "empty") if dcmon_first else ("empty", "dcmon"):
                value, _, stamps = once(kind, cfg)
                (dcmon if kind == "dcmon" else empty).append(value)
                if kind == "dcmon":
                    phases.append(stamps)
            progress(
                f"startup: {i + 1}/{reps}: dcmon {median(dcmon):.0f} ms, "
                f"empty window {median(empty):.0f} ms"
            )
        costs: list[Any] = []
        if not budget.smoke:
            _, err, _ = once("dcmon", cfg, ["-X", "importtime"])
            costs = import_costs(err)
    r = median(dcmon) / median(empty)
    split = {
        "spawn_to_interpreter_ms": median([s["interpreter"] for s in phases]),
        "imports_ms": median([s["imports"] - s["interpreter"] for s in phases]),
        "build_show_paint_ms": median([s["paint"] - s["imports"] for s in phases]),
    }
    note = ""
    if costs:
        note = "imports: " + ", ".join(f"{n} {v:.0f}" for n, v in costs[:4]) + " ms"
    return Result(
        NAME,
        TITLE,
        [
            Row(
                NAME,
                f"median of {reps} fresh processes",
                median(dcmon),
                median(empty),
                target=f"ratio <= {TARGET:g}",
                met=r <= TARGET,
                ratio=r,
                note=note,
            ),
            Row(
                NAME,
                "dcmon: process start to its imports done (info)",
                split["imports_ms"] + split["spawn_to_interpreter_ms"],
                unit="ms",
                note=f"then {split['build_show_paint_ms']:.0f} ms to build, show and paint",
            ),
        ],
        {
            "dcmon_ms": summary(dcmon),
            "empty_ms": summary(empty),
            "dcmon_import_costs_ms": costs,
            "dcmon_split_ms": split,
            "raw_dcmon_ms": dcmon,
            "raw_empty_ms": empty,
        },
    )
