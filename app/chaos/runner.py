"""Run many chaos sequences, shrink the first failure, print how to replay it.

`python -m app.chaos -n 5000` (the long budget, `make chaos N=5000`), `python -m app.chaos
--seed S` (one generated sequence), `python -m app.chaos --seed S --steps '...'` (a replay).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from app.chaos.executor import CHAOS, RunResult, run_sequence
from app.chaos.invariants import Violation
from app.chaos.shrink import ddmin
from app.chaos.steps import Sequence, Step, format_steps, generate, replay

SETTLED_LABEL = "settled"


@dataclass
class Failure:
    original: RunResult
    minimal: Sequence
    violations: list[Violation]
    shrink_runs: int
    reproduced: int  # of the confirmation replays of the minimal sequence, how many failed
    confirmations: int

    def report(self) -> str:
        seq = self.minimal
        lines = [
            f"CHAOS FAILURE seed={seq.seed} ({len(self.original.sequence.steps)} steps, "
            f"shrunk to {len(seq.steps)} in {self.shrink_runs} runs; the minimal sequence "
            f"failed {self.reproduced}/{self.confirmations} confirmation replays)",
            f"  {seq.text()}",
            "  violations:",
            *(f"    {v}" for v in self.violations),
            "  original sequence:",
            f"    {self.original.sequence.text()}",
            "  replay:",
            f"    python -m app.chaos --seed {seq.seed} --steps '{format_steps(list(seq.steps))}'",
        ]
        return "\n".join(lines)


@dataclass
class Summary:
    sequences: int = 0
    steps: int = 0
    checks: int = 0
    settles: int = 0
    expected_errors: int = 0
    tolerated_ghosts: int = 0
    seconds: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    step_counts: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        return (
            f"chaos: {self.sequences} sequences, {self.steps} steps, {self.settles} settles, "
            f"{self.checks} invariant checks, {self.expected_errors} commands refused as "
            f"expected, {self.tolerated_ghosts} ghosts tolerated after a lost join answer, "
            f"{len(self.failures)} failing, {self.seconds:.1f} s"
        )


async def shrink(result: RunResult, confirmations: int = 3) -> Failure:
    kind = result.violations[0].kind
    seq = result.sequence

    async def fails(steps: list[Step]) -> bool:
        r = await run_sequence(seq.with_steps(steps))
        return any(v.kind == kind for v in r.violations)

    steps, runs = await ddmin(list(seq.steps), fails, max_runs=60)
    minimal = seq.with_steps(steps)
    reproduced = 0
    last: list[Violation] = []
    for _ in range(confirmations):
        r = await run_sequence(minimal)
        hits = [v for v in r.violations if v.kind == kind]
        if hits:
            reproduced += 1
            last = r.violations
    return Failure(result, minimal, last or result.violations, runs, reproduced, confirmations)


async def run_many(
    count: int,
    first_seed: int = 1,
    max_steps: int = 12,
    do_shrink: bool = True,
    stop_after: int = 1,
    progress: Callable[[str], None] | None = None,
    sequences: list[Sequence] | None = None,
) -> Summary:
    summary = Summary()
    started = time.perf_counter()
    todo = sequences or [generate(first_seed + i, max_steps) for i in range(count)]
    for i, seq in enumerate(todo):
        result = await run_sequence(seq)
        summary.sequences += 1
        summary.steps += result.steps
        summary.checks += result.checks
        summary.settles += result.settles
        summary.expected_errors += result.expected_errors
        summary.tolerated_ghosts += result.tolerated_ghosts
        summary.step_counts.update(s.name for s in seq.steps)
        if progress is not None and (i + 1) % 50 == 0:
            progress(f"  ... {i + 1}/{len(todo)} sequences, {time.perf_counter() - started:.0f} s")
        if not result.ok:
            if progress is not None:
                first = "; ".join(str(v) for v in result.violations[:3])
                progress(f"  failing: {seq.text()}\n    {first}" + ("; shrinking" * do_shrink))
            failure = (
                await shrink(result)
                if do_shrink
                else Failure(result, seq, result.violations, 0, 1, 1)
            )
            summary.failures.append(failure)
            if progress is not None:
                progress(failure.report())
            if len(summary.failures) >= stop_after:
                break
    summary.seconds = time.perf_counter() - started
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.chaos", description=__doc__)
    parser.add_argument("-n", type=int, default=None, help="number of sequences (default 100)")
    parser.add_argument("--seed", type=int, default=None, help="first seed, or the one to replay")
    parser.add_argument("--steps", help="replay exactly these steps (with --seed)")
    parser.add_argument("--max-steps", type=int, default=12)
    parser.add_argument("--no-shrink", action="store_true")
    parser.add_argument("--keep-going", action="store_true", help="do not stop at a failure")
    parser.add_argument("-v", "--verbose", action="store_true", help="trace every step")
    args = parser.parse_args(argv)
    print(f"chaos profile: {CHAOS}", flush=True) if args.verbose else None

    if args.steps is not None or (args.seed is not None and args.n is None):
        seed = args.seed if args.seed is not None else 1
        seq = replay(seed, args.steps) if args.steps is not None else generate(seed, args.max_steps)
        print(seq.text(), flush=True)
        result = asyncio.run(run_sequence(seq, trace=print if args.verbose else None))
        print(
            f"{'ok' if result.ok else 'FAILED'}: {result.steps} steps, {result.checks} checks, "
            f"{result.seconds:.1f} s"
        )
        for v in result.violations:
            print(f"  {v}")
        return 0 if result.ok else 1

    count = args.n if args.n is not None else 100
    summary = asyncio.run(
        run_many(
            count,
            args.seed if args.seed is not None else 1,
            args.max_steps,
            do_shrink=not args.no_shrink,
            stop_after=count if args.keep_going else 1,
            progress=lambda line: print(line, flush=True),
        )
    )
    print(summary.line())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
