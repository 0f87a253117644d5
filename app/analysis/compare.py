"""Two runs side by side: figures, the event sequence aligned, incidents, step verdicts.

Pure data (`compare(a, b)`), rendered as text by `render`, shown by the window's compare
view. A difference is named in words ("token-p95 3 ms -> 2004 ms"), not only flagged.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from app.analysis.figures import FIGURES, TIMES, figures, show
from app.analysis.runs import Run
from app.core.events import CoreEvent, EventKind

_SKIP = {EventKind.RTT, EventKind.KEEPALIVE, EventKind.TRANSCRIPT}
MIN_MS = 50.0  # a time difference below this is noise on loopback
MIN_PCT = 20.0  # ...and so is one of less than this, relatively


@dataclass(frozen=True)
class FigureRow:
    name: str
    a: float | None
    b: float | None
    notable: bool  # worth naming as a difference

    @property
    def change(self) -> str:
        if self.a is None or self.b is None:
            return "" if self.a == self.b else "only in " + ("B" if self.a is None else "A")
        delta = self.b - self.a
        if delta == 0:
            return ""
        pct = f" ({delta / abs(self.a) * 100:+.0f} %)" if self.a else ""
        unit = " ms" if self.name in TIMES else ""
        return f"{delta:+.0f}{unit}{pct}" if self.name in TIMES else f"{delta:+g}{pct}"

    def words(self) -> str:
        return f"{self.name}: {show(self.name, self.a)} -> {show(self.name, self.b)} {self.change}"


@dataclass(frozen=True)
class SeqRow:
    op: str  # "=" same, "-" only in A, "+" only in B
    a: str | None
    b: str | None


@dataclass(frozen=True)
class StepRow:
    index: int
    description: str
    a: str | None
    b: str | None


@dataclass(frozen=True)
class Comparison:
    a: Run
    b: Run
    figures: tuple[FigureRow, ...]
    sequence: tuple[SeqRow, ...]
    steps: tuple[StepRow, ...]

    @property
    def differences(self) -> list[str]:
        out = [f.words() for f in self.figures if f.notable]
        only_a = sum(1 for r in self.sequence if r.op == "-")
        only_b = sum(1 for r in self.sequence if r.op == "+")
        if only_a or only_b:
            out.append(f"event sequence: {only_a} only in A, {only_b} only in B")
        for s in self.steps:
            if s.a != s.b:
                verdict = f"{s.a} -> {s.b}"
                if s.a is None or s.b is None:
                    verdict = f"only in {'B' if s.a is None else 'A'} ({s.b or s.a})"
                out.append(f"step {s.index} {s.description}: {verdict}")
        return out


def compare(a: Run, b: Run) -> Comparison:
    fa, fb = figures(a), figures(b)
    rows = tuple(
        FigureRow(n, fa.get(n), fb.get(n), _notable(n, fa.get(n), fb.get(n))) for n in FIGURES
    )
    return Comparison(a, b, rows, tuple(align(a.events, b.events)), tuple(_steps(a, b)))


def _notable(name: str, a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a != b
    if a == b:
        return False
    if name in TIMES:
        return abs(b - a) >= MIN_MS and (a == 0 or abs(b - a) / abs(a) * 100 >= MIN_PCT)
    return True  # a count that differs


def signature(ev: CoreEvent) -> str:
    """What an event says, without its times and ids, to align two runs."""
    d = ev.data
    key = ""
    if ev.kind is EventKind.STATE:
        key = str(d.get("state") or ev.summary)
    elif ev.kind is EventKind.HTTP:
        key = " ".join(str(d[k]) for k in ("what", "status") if d.get(k) is not None)
        key += " retried" if d.get("retried") else ""
    elif ev.kind is EventKind.CLOSED:
        key = f"{d.get('code') or 1006} {d.get('action', '')}"
    elif ev.kind is EventKind.TOKEN:
        key = f"{d.get('token_type', '')} {d.get('source', '')}"
    elif ev.kind is EventKind.ONLINE:
        key = "again" if d.get("again") else "first"
    elif ev.kind is EventKind.RETRY:
        key = f"attempt {d.get('attempt')} delay {d.get('delay')}"
    elif ev.kind in (EventKind.PHASE, EventKind.ROLES, EventKind.ADMITTED, EventKind.COMMAND):
        key = ev.summary
    return f"{ev.channel} {ev.kind.value}" + (f" {key}" if key else "")


def align(a: Sequence[CoreEvent], b: Sequence[CoreEvent]) -> list[SeqRow]:
    sa = [signature(e) for e in a if e.kind not in _SKIP]
    sb = [signature(e) for e in b if e.kind not in _SKIP]
    out: list[SeqRow] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, sa, sb, autojunk=False).get_opcodes():
        if op == "equal":
            out += [SeqRow("=", x, y) for x, y in zip(sa[i1:i2], sb[j1:j2], strict=True)]
        else:
            out += [SeqRow("-", x, None) for x in sa[i1:i2]]
            out += [SeqRow("+", None, y) for y in sb[j1:j2]]
    return out


def _steps(a: Run, b: Run) -> list[StepRow]:
    """Steps aligned by what they do (an inserted step shifts no verdict)."""
    if not a.steps and not b.steps:
        return []
    da = [str(s.get("description", "")) for s in a.steps]
    db = [str(s.get("description", "")) for s in b.steps]
    rows: list[StepRow] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, da, db, autojunk=False).get_opcodes():
        if op == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                sa, sb = a.steps[i], b.steps[j]
                rows.append(
                    StepRow(int(sb.get("index", j + 1)), db[j], sa.get("status"), sb.get("status"))
                )
            continue
        for i in range(i1, i2):
            rows.append(
                StepRow(int(a.steps[i].get("index", i + 1)), da[i], a.steps[i].get("status"), None)
            )
        for j in range(j1, j2):
            rows.append(
                StepRow(int(b.steps[j].get("index", j + 1)), db[j], None, b.steps[j].get("status"))
            )
    return rows


def render(c: Comparison, context: int = 2, limit: int = 60) -> str:
    """The comparison as text: the differences first, then the tables."""
    lines = [f"A: {c.a.label}", f"B: {c.b.label}", ""]
    diffs = c.differences
    lines.append("differences:" if diffs else "no notable differences")
    lines += [f"  {d}" for d in diffs]
    lines += ["", f"{'figure':<18} {'A':>10} {'B':>10}  change"]
    for f in c.figures:
        if f.a is None and f.b is None:
            continue
        mark = "  <--" if f.notable else ""
        lines.append(
            f"{f.name:<18} {show(f.name, f.a):>10} {show(f.name, f.b):>10}  {f.change}{mark}"
        )
    lines += ["", "incidents:"]
    for label, run in (("A", c.a), ("B", c.b)):
        for i in run.incidents:
            lines.append(f"  {label} {i.one_line()}")
        if not run.incidents:
            lines.append(f"  {label} none")
    shown = _with_context(c.sequence, context)
    if shown:
        lines += ["", "event sequence (only the differences, with context):"]
        for n, row in enumerate(shown):
            if n >= limit:
                lines.append(f"  ... {len(shown) - limit} more")
                break
            if row is None:
                lines.append("  ...")
            else:
                text = row.a if row.op != "+" else row.b
                lines.append(f"  {row.op} {text}")
    if c.steps:
        lines += ["", "steps:"]
        for s in c.steps:
            mark = "" if s.a == s.b else "  <--"
            lines.append(
                f"  {s.index:>3} {s.description[:60]:<60} {s.a or '-':>8} {s.b or '-':>8}{mark}"
            )
    return "\n".join(lines)


def _with_context(rows: Sequence[SeqRow], context: int) -> list[SeqRow | None]:
    keep = set()
    for i, r in enumerate(rows):
        if r.op != "=":
            keep.update(range(max(0, i - context), min(len(rows), i + context + 1)))
    out: list[SeqRow | None] = []
    last = -2
    for i in sorted(keep):
        if i != last + 1 and out:
            out.append(None)
        out.append(rows[i])
        last = i
    return out
