"""`python -m app incidents FILE` and `python -m app compare A B [--fail-on RULE]`.

Light at import time (argparse only): app/cli.py imports this for --help.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import Any

EXIT_OK, EXIT_REGRESSED, EXIT_INVALID = 0, 1, 2

COMPARE_EPILOG = """\
A and B are session recordings (*.jsonl) or scenario reports (*.json); a report with
several files is read per file: FILE#NAME picks one (the scenario file or its stem).
--fail-on NAME>VALUE (repeatable): exit 1 when B regressed against A, e.g.
  recover-p95>+20%     B more than 20 % above A
  token-p95>+500ms     B more than 500 ms above A (+2s works too)
  incidents>+0         more incidents in B
  recover-p95>5000ms   B above 5 s, whatever A was
Figures: incidents, unrecovered, detect-p50/p95, recover-p50/p95, captions-p50/p95,
gap-max, captions-lost, duplicates, reconnects, registrations, refusals, token-fetches,
token-p50/p95/max, register-p95, rtt-p50/p95, rtt-default/practice/device-p95, steps-failed.
Exit status: 0 no rule triggered, 1 a rule triggered, 2 a file or rule is invalid.
"""


def add_parsers(sub: Any) -> None:
    inc = sub.add_parser(
        "incidents",
        help="the incidents of a recording or scenario report (table, or --json)",
        description="Every disruption of a channel as one incident: cause, detection, "
        "recovery, captions again, the caption gap; then count and p50/p95.",
    )
    inc.add_argument("file", metavar="FILE", help="a session recording (.jsonl) or report (.json)")
    inc.add_argument("--json", action="store_true", help="JSON instead of the table")
    cmp = sub.add_parser(
        "compare",
        help="compare two runs (recordings or reports); exit 1 when --fail-on triggers",
        description="Two runs side by side: figures, incidents, the event sequence aligned, "
        "the verdict per step.",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmp.add_argument("a", metavar="A", help="the reference run")
    cmp.add_argument("b", metavar="B", help="the run to judge")
    cmp.add_argument(
        "--fail-on", action="append", default=[], metavar="RULE", help="e.g. 'recover-p95>+20%%'"
    )
    cmp.add_argument("--json", action="store_true", help="JSON instead of the text")


def run_incidents(args: argparse.Namespace) -> int:
    from app.analysis.runs import RunFormatError, load_runs
    from app.analysis.tables import incidents_json, incidents_table

    try:
        runs = load_runs(args.file)
    except RunFormatError as exc:
        print(f"dcmon incidents: {exc}", file=sys.stderr)
        return EXIT_INVALID
    with contextlib.suppress(BrokenPipeError):  # `| head` is fine
        if args.json:
            print(json.dumps(incidents_json(runs), indent=2))
        else:
            print(incidents_table(runs))
    return EXIT_OK


def run_compare(args: argparse.Namespace) -> int:
    from app.analysis.compare import compare, render
    from app.analysis.failon import RuleError, parse_rule
    from app.analysis.runs import RunFormatError, load_runs, pick

    try:
        rules = [parse_rule(r) for r in args.fail_on]
        a = _one(args.a, load_runs, pick)
        b = _one(args.b, load_runs, pick)
    except (RunFormatError, RuleError) as exc:
        print(f"dcmon compare: {exc}", file=sys.stderr)
        return EXIT_INVALID
    c = compare(a, b)
    by_name = {f.name: f for f in c.figures}
    verdicts = []
    for rule in rules:
        row = by_name[rule.name]
        hit, what = rule.check(row.a, row.b)
        verdicts.append({"rule": rule.text, "triggered": hit, "compared": what})
    if args.json:
        doc = {
            "a": a.source,
            "b": b.source,
            "differences": c.differences,
            "figures": {f.name: {"a": f.a, "b": f.b} for f in c.figures},
            "sequence": [{"op": r.op, "a": r.a, "b": r.b} for r in c.sequence if r.op != "="],
            "steps": [s.__dict__ for s in c.steps],
            "fail_on": verdicts,
        }
        print(json.dumps(doc, indent=2))
    else:
        print(render(c))
        for v in verdicts:
            state = {True: "REGRESSED", False: "ok", None: "n/a"}[v["triggered"]]
            print(f"--fail-on {v['rule']}: {state}: {v['compared']}")
    return EXIT_REGRESSED if any(v["triggered"] for v in verdicts) else EXIT_OK


def _one(spec: str, load: Any, pick: Any) -> Any:
    path, _, name = spec.partition("#")
    return pick(load(path), name or None, path)
