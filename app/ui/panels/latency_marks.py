"""Where a marker's label goes: stacked in rows, so labels of markers close in time (a drop
and its reconnect, a burst of injections) sit under each other instead of smearing."""

from __future__ import annotations

ROWS = 4  # label rows under the top of the RTT plot
LABEL_SHARE = 0.14  # a label is about this share of the plot's width


class LabelRows:
    """The next free row for a label at `wall`, given the visible time span."""

    def __init__(self, rows: int = ROWS) -> None:
        self._ends: list[float] = [float("-inf")] * rows  # per row: where its last label ends

    def place(self, wall: float, span: float, left: bool) -> int:
        width = max(span, 1.0) * LABEL_SHARE
        start, end = (wall - width, wall) if left else (wall, wall + width)
        for row, taken_until in enumerate(self._ends):
            if start >= taken_until:
                self._ends[row] = end
                return row
        row = min(range(len(self._ends)), key=lambda r: self._ends[r])  # all full: the oldest
        self._ends[row] = end
        return row

    def reset(self) -> None:
        self._ends = [float("-inf")] * len(self._ends)


def short_label(label: str, limit: int = 22) -> str:
    """Labels stay short on the plot (the tooltip has the whole text)."""
    return label if len(label) <= limit else label[: limit - 1] + "…"
