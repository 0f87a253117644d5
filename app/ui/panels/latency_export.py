"""The latency samples as rows for the CSV export: time order, with the HTTP status, the
meeting and the generation each sample belongs to (the plot's rings hold only x and y)."""

from __future__ import annotations

import csv
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("wall", "time", "kind", "series", "ms", "status", "meeting", "generation")


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float
    kind: str  # rtt / http
    series: str  # channel or HTTP call
    ms: float
    status: int | None
    meeting: str | None
    generation: int


class SampleLog:
    """The newest `capacity` samples of every series, in arrival order."""

    def __init__(self, capacity: int) -> None:
        self.rows: deque[Sample] = deque(maxlen=capacity)

    def add(self, sample: Sample) -> None:
        self.rows.append(sample)

    def clear(self) -> None:
        self.rows.clear()

    def write_csv(self, path: str | Path) -> int:
        """Sorted by time (arrival order is not: batches of two channels interleave)."""
        rows = sorted(self.rows, key=lambda s: s.wall)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(COLUMNS)
            for s in rows:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(s.wall))
                out.writerow(
                    [
                        f"{s.wall:.6f}",
                        f"{stamp}.{int(s.wall % 1 * 1000):03d}",
                        s.kind,
                        s.series,
                        f"{s.ms:.3f}",
                        "" if s.status is None else s.status,
                        s.meeting or "",
                        s.generation,
                    ]
                )
        return len(rows)
