"""6. Start-up: process start -> first paint of the dcmon window vs an empty PySide6 window.

Each sample is a fresh interpreter (bench/_startup_child.py) on the offscreen platform, with
a private XDG_CONFIG_HOME so no real settings are read or written. The parent stamps
perf_counter_ns just before spawning; the child prints perf_counter_ns (the same monotonic
clock) from an application event filter at the first paint of its top-level window (for
dcmon: the window shell, app/ui/shell.py) and, for dcmon, at the main window's own first
paint once it has been put into the shell.

dcmon runs from two private copies of app/ + resources/ (PYTHONPATH), so what the shared
tree's __pycache__ happens to hold never matters:
  source:   no bytecode, none written (PYTHONDONTWRITEBYTECODE): a fresh clone, `make run`;
  compiled: bytecode compiled beforehand (compileall), as an installed app has it.
The three kinds rotate (E S C, S C E, C E S, then reversed) so none always goes first.
Target: dcmon <= 2x the empty window, for both. One extra dcmon start under `-X importtime`
names the imports that cost the most, before and after the first paint.
"""

from __future__ import annotations

import compileall
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Budget, child_env, median, ms, progress, summary
from bench.report import Result, Row

NAME = "startup"
TITLE = "Start-up to first paint (offscreen)"
TARGET = 2.0
CHILD = Path(__file__).resolve().parent / "_startup_child.py"
KINDS = ("empty", "source", "compiled")
PAINT_MARK = "# first paint"


def make_copies(into: Path) -> dict[str, Path]:
    """Two copies of the app's import tree: one without bytecode, one compiled."""
    copies: dict[str, Path] = {}
    for kind in ("source", "compiled"):
        root = into / kind
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / "app", root / "app", ignore=ignore)
        shutil.copytree(ROOT / "resources", root / "resources", ignore=ignore)
        copies[kind] = root
    if not compileall.compile_dir(copies["compiled"] / "app", quiet=1, workers=1):
        raise RuntimeError("compileall failed on the copy of app/")
    return copies


def once(
    kind: str,
    config_home: str,
    copies: dict[str, Path],
    extra: list[str] | None = None,
) -> tuple[dict[str, float], str]:
    """One fresh process; its stamps in ms since the spawn, and its stderr."""
    env = child_env(XDG_CONFIG_HOME=config_home, PYTHONDONTWRITEBYTECODE="1")
    if kind != "empty":
        env["PYTHONPATH"] = str(copies[kind])  # the copy, never the shared tree's app/
    t0 = time.perf_counter_ns()
    done = subprocess.run(
        [sys.executable, *(extra or []), str(CHILD), "empty" if kind == "empty" else "dcmon"],
        cwd=copies["source"].parent,
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
    return stamps, done.stderr


def check_copy(copies: dict[str, Path]) -> None:
    """The children must import the copy (PYTHONPATH before the editable install)."""
    env = child_env(PYTHONPATH=str(copies["compiled"]), PYTHONDONTWRITEBYTECODE="1")
    out = subprocess.run(
        [sys.executable, "-c", "import app.cli; print(app.cli.__cached__, app.__file__)"],
        cwd=copies["source"].parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    if str(copies["compiled"]) not in out:
        raise RuntimeError(f"the start-up child does not import the copy: {out.strip()}")


def import_costs(stderr: str, top: int = 8) -> dict[str, list[tuple[str, float]]]:
    """Packages by their own import time (ms, self time summed over their modules) from
    `-X importtime`, split at the child's first-paint mark: what each one costs wherever in
    the tree it is imported, before and after the user sees a window."""
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)")
    split: dict[str, dict[str, float]] = {"before_paint": {}, "after_paint": {}}
    costs = split["before_paint"]
    for line in stderr.splitlines():
        if line.startswith(PAINT_MARK):
            costs = split["after_paint"]
            continue
        m = pattern.match(line)
        if m:
            parts = m.group(2).split(".")
            name = ".".join(parts[:2]) if parts[0] == "app" else parts[0]
            costs[name] = costs.get(name, 0.0) + int(m.group(1)) / 1000
    out: dict[str, list[tuple[str, float]]] = {}
    for key, c in split.items():
        ranked = sorted(c.items(), key=lambda kv: -kv[1])
        out[key] = [("(total)", sum(c.values())), *ranked[:top]]
    return out


def order(i: int) -> tuple[str, ...]:
    k = len(KINDS)
    rotated = KINDS[i % k :] + KINDS[: i % k]
    return rotated if (i // k) % 2 == 0 else tuple(reversed(rotated))


def run(budget: Budget) -> Result:
    reps = budget.pick(9, 3, 1)
    samples: dict[str, list[dict[str, float]]] = {k: [] for k in KINDS}
    costs: dict[str, list[tuple[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="dcmon-startup-") as tmp:
        cfg = Path(tmp) / "config"
        cfg.mkdir()
        copies = make_copies(Path(tmp))
        check_copy(copies)
        if budget.full:
            for kind in KINDS:  # warm the page cache for all three
                once(kind, str(cfg), copies)
        for i in range(reps):
            for kind in order(i):
                stamps, _ = once(kind, str(cfg), copies)
                samples[kind].append(stamps)
            progress(
                f"startup: {i + 1}/{reps}: "
                + ", ".join(f"{k} {median(paints(samples[k])):.0f} ms" for k in KINDS)
            )
        if not budget.smoke:
            _, err = once("source", str(cfg), copies, ["-X", "importtime"])
            costs = import_costs(err)
    empty = median(paints(samples["empty"]))
    src, comp = median(paints(samples["source"])), median(paints(samples["compiled"]))
    window = median([s["window"] for s in samples["source"]])
    window_c = median([s["window"] for s in samples["compiled"]])
    phases = samples["source"]
    split = {
        "spawn_to_interpreter_ms": median([s["interpreter"] for s in phases]),
        "imports_ms": median([s["imports"] - s["interpreter"] for s in phases]),
        "qapp_shell_paint_ms": median([s["paint"] - s["imports"] for s in phases]),
        "shell_to_window_paint_ms": median([s["window"] - s["paint"] for s in phases]),
    }
    note = ""
    if costs:
        before = costs["before_paint"]
        after = costs["after_paint"]
        note = (
            f"imports before paint {before[0][1]:.0f} ms: "
            + ", ".join(f"{n} {v:.0f}" for n, v in before[1:4])
            + f"; after {after[0][1]:.0f} ms"
        )
    return Result(
        NAME,
        TITLE,
        [
            Row(
                NAME,
                f"first paint, no bytecode (fresh clone), median of {reps}",
                src,
                empty,
                target=f"ratio <= {TARGET:g}",
                met=src / empty <= TARGET,
                note=note,
            ),
            Row(
                NAME,
                "first paint, bytecode compiled (installed app)",
                comp,
                empty,
                target=f"ratio <= {TARGET:g}",
                met=comp / empty <= TARGET,
            ),
            Row(
                NAME,
                "main window with its panels painted, no bytecode (info)",
                window,
                empty,
                note=f"compiled: {window_c:.0f} ms",
            ),
            Row(
                NAME,
                "dcmon: process start to its pre-paint imports done (info)",
                split["imports_ms"] + split["spawn_to_interpreter_ms"],
                unit="ms",
                note=f"then {split['qapp_shell_paint_ms']:.0f} ms to the shell painted",
            ),
        ],
        {
            "empty_ms": summary(paints(samples["empty"])),
            "source_ms": summary(paints(samples["source"])),
            "compiled_ms": summary(paints(samples["compiled"])),
            "source_window_ms": summary([s["window"] for s in samples["source"]]),
            "compiled_window_ms": summary([s["window"] for s in samples["compiled"]]),
            "dcmon_import_costs_ms": costs,
            "dcmon_split_ms": split,
            "raw": samples,
        },
    )


def paints(samples: list[dict[str, float]]) -> list[float]:
    return [s["paint"] for s in samples]
