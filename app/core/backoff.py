"""The reconnect schedule (pure): first retry at once, then reset * factor**n, capped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    reset: float = 1.0
    maximum: float = 32.0
    factor: float = 2.0
    max_retries: int | None = None

    def delay(self, attempt: int) -> float | None:
        """Seconds to wait before retry number `attempt` (1-based); None = give up."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        if self.max_retries is not None and attempt > self.max_retries:
            return None
        if attempt == 1:
            return 0.0
        return min(self.reset * self.factor ** (attempt - 2), self.maximum)

    def schedule(self, count: int) -> list[float]:
        """The first `count` delays, for display and tests."""
        out: list[float] = []
        for attempt in range(1, count + 1):
            d = self.delay(attempt)
            if d is None:
                break
            out.append(d)
        return out
