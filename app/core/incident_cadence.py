"""Caption cadence: the typical interval between captions on a channel, and the gaps in it
(the incident tracker's caption audit, the Captions panel's gap marker)."""

from __future__ import annotations

import statistics
from collections import deque

GAP_FLOOR = 0.5  # s: a shorter silence is never a caption gap, whatever the cadence


class _Cadence:
    """Recent caption arrivals on one channel: the typical interval and the last one."""

    def __init__(self) -> None:
        self.last: float | None = None
        self.intervals: deque[float] = deque(maxlen=20)
        self._median: float | None = None
        self._fresh = True  # the cached median is current (issue 14: one sort per caption)

    def add(self, wall: float) -> float | None:
        gap = None if self.last is None else wall - self.last
        if gap is not None:
            self.intervals.append(gap)
            self._fresh = False
        self.last = wall
        return gap

    @property
    def interval(self) -> float | None:
        if not self._fresh:
            self._median = statistics.median(self.intervals) if len(self.intervals) >= 3 else None
            self._fresh = True
        return self._median

    def reset(self) -> None:
        self.intervals.clear()
        self._median, self._fresh = None, True


class CaptionGaps:
    """Per channel: a caption that comes after an unusual silence (more than three typical
    intervals, and over GAP_FLOOR) gives (seconds, ~captions lost); the Captions panel's
    gap marker."""

    def __init__(self) -> None:
        self._cadence: dict[str, _Cadence] = {}

    def feed(self, channel: str, wall: float) -> tuple[float, int] | None:
        cadence = self._cadence.setdefault(channel, _Cadence())
        interval = cadence.interval
        gap = cadence.add(wall)
        if gap is not None and interval and gap > max(3 * interval, GAP_FLOOR):
            return gap, max(0, round(gap / interval) - 1)
        return None
