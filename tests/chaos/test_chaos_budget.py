"""The chaos run: seeded random sequences of host actions, client actions and faults,
applied with small random delays to the real core against the real simulator, with every
invariant of app/chaos/invariants.py checked after every step and once settled.

Default run (`make test`): 100 sequences of 5 to 12 steps, in chunks so that each test
stays well inside its timeout on a loaded machine. Long run: `make chaos N=5000` (or
`pytest -m chaos_long` with CHAOS_N). A failure prints the seed and the shrunk sequence,
and how to replay it: `python -m app.chaos --seed S --steps '...'`.
"""

from __future__ import annotations

import os

import pytest

from app.chaos.runner import Summary, run_many

from .conftest import SUMMARY

CHUNKS = 5
PER_CHUNK = 20  # 100 sequences in all
FIRST_SEED = 1
TOTAL = Summary()


def _report(summary: Summary) -> str:
    return "\n\n".join(f.report() for f in summary.failures)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("chunk", range(CHUNKS))
async def test_chaos_short_budget(chunk: int) -> None:
    summary = await run_many(PER_CHUNK, FIRST_SEED + chunk * PER_CHUNK, max_steps=12)
    for name in ("sequences", "steps", "checks", "settles", "expected_errors",
                 "tolerated_ghosts"):  # fmt: skip
        setattr(TOTAL, name, getattr(TOTAL, name) + getattr(summary, name))
    TOTAL.seconds += summary.seconds
    if chunk == CHUNKS - 1 or summary.failures:
        SUMMARY.append(TOTAL.line())
    assert not summary.failures, _report(summary)


@pytest.mark.chaos_long
@pytest.mark.timeout(0)
async def test_chaos_long_budget() -> None:
    count = int(os.environ.get("CHAOS_N", "5000"))
    seed = int(os.environ.get("CHAOS_SEED", "100000"))
    summary = await run_many(count, seed, max_steps=12, progress=print)
    SUMMARY.append(summary.line())
    assert not summary.failures, _report(summary)
