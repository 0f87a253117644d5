"""Figures over incidents: percentiles and the summary `python -m app incidents` prints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.incident_model import Incident, _r


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    data = sorted(values)
    if not data:
        return None
    k = (len(data) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


@dataclass(frozen=True)
class Summary:
    count: int
    by_channel: Mapping[str, int]
    recovered: int
    figures: Mapping[str, float | None]  # detect-p50, detect-p95, recover-..., captions-...
    worst_gap_ms: float | None
    captions_lost: int
    frames_lost: int
    duplicates: int

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "by_channel": dict(self.by_channel),
            "recovered": self.recovered,
            **{k: _r(v) for k, v in self.figures.items()},
            "worst_gap_ms": _r(self.worst_gap_ms),
            "captions_lost": self.captions_lost,
            "frames_lost": self.frames_lost,
            "duplicates": self.duplicates,
        }


def summarize(incidents: Sequence[Incident]) -> Summary:
    figures: dict[str, float | None] = {}
    for name, attr in (
        ("detect", "detect_ms"),
        ("recover", "recover_ms"),
        ("captions", "captions_ms"),
    ):
        values = [v for i in incidents if (v := getattr(i, attr)) is not None]
        figures[f"{name}-p50"] = percentile(values, 50)
        figures[f"{name}-p95"] = percentile(values, 95)
    gaps = [g for i in incidents if (g := i.gap_ms) is not None]
    by_channel: dict[str, int] = {}
    for i in incidents:
        by_channel[i.channel] = by_channel.get(i.channel, 0) + 1
    return Summary(
        count=len(incidents),
        by_channel=by_channel,
        recovered=sum(1 for i in incidents if i.online is not None),
        figures=figures,
        worst_gap_ms=max(gaps) if gaps else None,
        captions_lost=sum(i.captions_lost or 0 for i in incidents),
        frames_lost=sum(i.frames_lost for i in incidents),
        duplicates=sum(i.duplicates for i in incidents),
    )
