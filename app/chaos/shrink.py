"""Delta debugging (Zeller's ddmin) over a failing sequence's steps.

The seed stays the same (it fixes the meeting's lobby setting; delays are in the steps), so
every candidate is a plain replay. A candidate "still fails" when it shows a violation of
the same kind as the original, so shrinking cannot slide over to a different bug.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.chaos.steps import Step

Predicate = Callable[[list[Step]], Awaitable[bool]]


async def ddmin(steps: list[Step], fails: Predicate, max_runs: int = 200) -> tuple[list[Step], int]:
    """A 1-minimal failing subsequence (as far as `max_runs` allows) and the runs it took."""
    runs = 0
    current = list(steps)
    n = 2
    while len(current) >= 2 and runs < max_runs:
        chunk = max(1, len(current) // n)
        subsets = [current[i : i + chunk] for i in range(0, len(current), chunk)]
        reduced = False
        # first try each complement (drop one chunk), which shrinks fastest in practice
        for i in range(len(subsets)):
            candidate = [s for j, sub in enumerate(subsets) if j != i for s in sub]
            if not candidate:
                continue
            runs += 1
            if await fails(candidate):
                current, n, reduced = candidate, max(n - 1, 2), True
                break
            if runs >= max_runs:
                break
        if not reduced:
            if n >= len(current):
                break
            n = min(len(current), n * 2)
    # a final pass: drop single steps left to right
    i = 0
    while i < len(current) and runs < max_runs and len(current) > 1:
        candidate = current[:i] + current[i + 1 :]
        runs += 1
        if await fails(candidate):
            current = candidate
        else:
            i += 1
    return current, runs
