"""Fixed-size numpy ring buffers for time series (no Qt: the plots read them, tests too)."""

from __future__ import annotations

import numpy as np


class Ring:
    """Last `capacity` (x, y) samples.

    Every sample is written twice (at i and i + capacity) so the ordered window is always
    one contiguous slice: reading never copies or concatenates on the paint path.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._x = np.zeros(2 * capacity, dtype=np.float64)
        self._y = np.zeros(2 * capacity, dtype=np.float64)
        self._next = 0  # slot the next sample goes to
        self._count = 0  # samples held (<= capacity)
        self.total = 0  # samples ever appended

    def __len__(self) -> int:
        return self._count

    def append(self, x: float, y: float) -> None:
        i = self._next
        self._x[i] = self._x[i + self.capacity] = x
        self._y[i] = self._y[i + self.capacity] = y
        self._next = (i + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)
        self.total += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Oldest-first views (read-only; valid until the next append)."""
        start = (self._next - self._count) % self.capacity
        end = start + self._count
        x, y = self._x[start:end], self._y[start:end]
        x.flags.writeable = False
        y.flags.writeable = False
        return x, y

    @property
    def last(self) -> float | None:
        if not self._count:
            return None
        return float(self._y[(self._next - 1) % self.capacity])

    def percentiles(self, *ps: float) -> tuple[float, ...] | None:
        if not self._count:
            return None
        _, y = self.arrays()
        return tuple(float(v) for v in np.percentile(y, ps))

    def clear(self) -> None:
        self._next = self._count = 0
