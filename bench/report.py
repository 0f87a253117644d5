"""One table for every benchmark (stdout) and the same rows as JSON (bench/results/latest.json)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import RESULTS, jsonable


@dataclass
class Row:
    bench: str  # module name: admit, reconnect, ...
    metric: str
    dcmon: float | None  # the measured value (median unless the metric says otherwise)
    floor: float | None = None  # the same quantity for the floor, same run
    unit: str = "ms"
    target: str = ""  # human text, e.g. "ratio <= 1.15"
    met: bool | None = None  # None: informational row, no target
    note: str = ""
    ratio: float | None = None  # dcmon / floor unless set explicitly

    def __post_init__(self) -> None:
        if self.ratio is None and self.dcmon is not None and self.floor:
            self.ratio = self.dcmon / self.floor


@dataclass
class Result:
    """What one benchmark hands back: its rows, plus any raw detail for the JSON."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kib = int(fh.readline().split()[1])
            mem_gib = round(kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "loadavg_at_start": [round(x, 2) for x in load] if load else None,
    }


def _num(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    a = abs(value)
    if a >= 1000:
        text = f"{value:,.0f}"
    elif a >= 100:
        text = f"{value:.0f}"
    elif a >= 10:
        text = f"{value:.1f}"
    elif a >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".rstrip() if unit else text


def _ok(met: bool | None) -> str:
    return {True: "MET", False: "MISSED", None: "info"}[met]


def table(results: list[Result], info: dict[str, Any]) -> str:
    head = ("#", "benchmark / metric", "dcmon", "floor", "ratio", "target", "", "note")
    lines: list[tuple[str, ...]] = []
    for i, res in enumerate(results, 1):
        if res.error:
            lines.append((str(i), f"{res.title}: ERROR", "", "", "", "", "FAILED", res.error))
            continue
        for j, row in enumerate(res.rows):
            label = f"{res.title}: {row.metric}" if j == 0 else f"  {row.metric}"
            lines.append(
                (
                    str(i) if j == 0 else "",
                    label,
                    _num(row.dcmon, row.unit),
                    _num(row.floor, row.unit),
                    "-" if row.ratio is None else f"{row.ratio:.2f}x",
                    row.target or "-",
                    _ok(row.met),
                    row.note,
                )
            )
    widths = [max(len(r[c]) for r in [head, *lines]) for c in range(len(head))]
    out = []
    m = info["machine"]
    out.append(
        f"dcmon benchmarks ({info['budget']}) on {m['cpu']}, {m['cores']} cores, "
        f"{m['memory_gib']} GiB, {m['os']}, Python {m['python']}, "
        f"load {m['loadavg_at_start']} at start"
    )
    out.append(f"{info['started']}  total {info['seconds']:.0f} s  (medians; floor = same run)")

    def fmt(r: tuple[str, ...]) -> str:
        cells = [r[0].rjust(widths[0]), r[1].ljust(widths[1])]
        cells += [r[c].rjust(widths[c]) for c in (2, 3, 4)]
        cells += [r[5].ljust(widths[5]), r[6].ljust(widths[6]), r[7]]
        return "  ".join(cells).rstrip()

    out.append(fmt(head))
    out.append("-" * len(fmt(head)))
    out.extend(fmt(r) for r in lines)
    targets = [row for res in results for row in res.rows if row.met is not None]
    met = sum(1 for row in targets if row.met)
    failed = sum(1 for res in results if res.error)
    out.append("-" * len(fmt(head)))
    out.append(
        f"targets met: {met}/{len(targets)}"
        + (f"; {failed} benchmark(s) failed to run" if failed else "")
    )
    return "\n".join(out)


def write_json(results: list[Result], info: dict[str, Any], path: Path | None = None) -> Path:
    path = path or RESULTS / "latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        **info,
        "results": [
            {
                "name": r.name,
                "title": r.title,
                "seconds": round(r.seconds, 2),
                "error": r.error,
                "rows": [jsonable(row) for row in r.rows],
                "details": jsonable(r.details),
            }
            for r in results
        ],
    }
    path.write_text(json.dumps(payload, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    return path


def started() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
