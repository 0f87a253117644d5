"""Incidents as a text table and as JSON (for `python -m app incidents`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.analysis.runs import Run
from app.core.incidents import Incident, summarize


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def incident_row(i: Incident) -> list[str]:
    gap = _ms(i.gap_ms)
    if i.captions_lost:
        gap += f" (~{i.captions_lost})"
    return [
        str(i.number),
        i.channel,
        (i.cause.describe() if i.cause else "?")[:44],
        i.detection[:72],
        _ms(i.detect_ms),
        _ms(i.recover_ms),
        _ms(i.captions_ms),
        gap,
        i.outcome,
    ]


HEADER = ["#", "channel", "cause", "detection", "detect", "recover", "captions", "gap", "outcome"]


def incidents_table(runs: Sequence[Run]) -> str:
    lines: list[str] = []
    for run in runs:
        lines.append(f"{run.source}: {run.name} ({len(run.incidents)} incidents)")
        rows = [HEADER] + [incident_row(i) for i in run.incidents]
        widths = [max(len(r[c]) for r in rows) for c in range(len(HEADER))]
        for n, r in enumerate(rows):
            lines.append("  " + "  ".join(cell.ljust(widths[c]) for c, cell in enumerate(r)))
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        s = summarize(run.incidents)
        f = s.figures
        lines.append(
            f"  count {s.count} ({s.recovered} recovered); times in ms from the cause "
            f"(or the detection when no cause was recorded)"
        )
        for name in ("detect", "recover", "captions"):
            lines.append(
                f"  {name + ':':<10} p50 {_ms(f[name + '-p50']):>6}  p95 {_ms(f[name + '-p95']):>6}"
            )
        lines.append(
            f"  worst caption gap {_ms(s.worst_gap_ms)} ms, ~{s.captions_lost} captions lost, "
            f"{s.frames_lost} frames lost, {s.duplicates} duplicated"
        )
        for audit in run.captions:
            flag = "  FLAGGED" if audit.flagged else ""
            lines.append(
                f"  captions on {audit.channel}: {audit.captions} received, "
                f"{audit.duplicates} duplicated, ~{audit.missing} missing in "
                f"{len(audit.gaps)} gaps{flag}"
            )
        for p in run.problems:
            lines.append(f"  note: {p}")
        lines.append("")
    return "\n".join(lines).rstrip()


def incidents_json(runs: Sequence[Run]) -> dict[str, Any]:
    return {
        "runs": [
            {
                "source": r.source,
                "name": r.name,
                "summary": summarize(r.incidents).to_json(),
                "incidents": [i.to_json() for i in r.incidents],
                "captions": [c.to_json() for c in r.captions],
            }
            for r in runs
        ]
    }
