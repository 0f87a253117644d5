"""`python -m bench [--only NAME ...] [--quick]`: run the benchmarks, print one table, write JSON.

Every benchmark measures dcmon and its floor in the same run, interleaved, and reports
medians and ratios (never a lone absolute time): the machines here are small and shared.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from bench.common import Budget, progress, set_quiet
from bench.report import Result, machine, started, table, write_json

# run order: the cheap, in-process ones first; then those that need their own processes
BENCHMARKS = (
    "admit",
    "reconnect",
    "rtt",
    "memory",
    "gui_lag",
    "startup",
    "eventlog_scale",
    "sdk_client",
)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "dcmon benchmarks. Each measures dcmon and a floor (bare httpx + websockets, an "
            "empty PySide6 window, an idle window, a plain list) in the same run, alternating "
            "repetitions, and reports medians and ratios. Prints one table; writes "
            "bench/results/latest.json. Default budget: about 5 minutes; --quick: under 1."
        ),
    )
    ap.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=BENCHMARKS,
        help=f"run only these benchmarks (any of: {', '.join(BENCHMARKS)})",
    )
    budget = ap.add_mutually_exclusive_group()
    budget.add_argument("--quick", action="store_true", help="small budget (under a minute)")
    budget.add_argument(
        "--smoke", action="store_true", help="tiny budget: proves each benchmark runs (tests)"
    )
    ap.add_argument("--json", type=Path, help="where to write the JSON (default: latest.json)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="also profile the worst case of the GUI benchmark with pyinstrument "
        "(needs `pip install pyinstrument`; the profiled phases then carry its overhead); "
        "the reports go to bench/results/",
    )
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return ap.parse_args(argv)


def run_one(name: str, budget: Budget, profile: bool) -> Result:
    module = importlib.import_module(f"bench.{name}")
    title = getattr(module, "TITLE", name)
    print(f"[{name}] {title}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    try:
        if profile and hasattr(module, "run_profiled"):
            result = module.run_profiled(budget)
        else:
            result = module.run(budget)
    except Exception as exc:  # one broken benchmark must not hide the others' numbers
        traceback.print_exc()
        result = Result(name, title, error=f"{type(exc).__name__}: {exc}"[:200])
    result.seconds = time.perf_counter() - t0
    # how busy the machine was around this benchmark (other jobs share these cores)
    result.details["loadavg_1min"] = {"start": load0, "end": os.getloadavg()[0]}
    progress(f"{name}: done in {result.seconds:.1f} s")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    set_quiet(args.quiet)
    level = "smoke" if args.smoke else "quick" if args.quick else "full"
    budget = Budget(level)
    names = [n for n in BENCHMARKS if not args.only or n in args.only]
    info = {"budget": level, "started": started(), "machine": machine(), "seconds": 0.0}
    t0 = time.perf_counter()
    results = [run_one(name, budget, args.profile) for name in names]
    info["seconds"] = time.perf_counter() - t0
    text = table(results, info)
    path = write_json(results, info, args.json)
    print(text, flush=True)
    print(f"JSON: {path}", flush=True)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
