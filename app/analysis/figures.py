"""The figures a run is judged by, by name (the names `--fail-on` takes).

Times in ms, counts as numbers; None when the run has nothing to measure (no incident, no
token fetch).
"""

from __future__ import annotations

from collections.abc import Iterable

from app.analysis.runs import Run
from app.core.events import EventKind
from app.core.incidents import percentile, summarize

# name -> what it is, for --help and the tables
FIGURES: dict[str, str] = {
    "incidents": "incidents (disruptions of a channel)",
    "unrecovered": "incidents never back online",
    "detect-p50": "time to detect, p50 (ms)",
    "detect-p95": "time to detect, p95 (ms)",
    "recover-p50": "time to recover (online), p50 (ms)",
    "recover-p95": "time to recover (online), p95 (ms)",
    "captions-p50": "time to captions again, p50 (ms)",
    "captions-p95": "time to captions again, p95 (ms)",
    "gap-max": "worst caption gap (ms)",
    "captions-lost": "captions lost in incidents (estimated)",
    "duplicates": "duplicated captions",
    "reconnects": "channels back online after a drop",
    "registrations": "successful registrations",
    "refusals": "refused registrations",
    "token-fetches": "token fetches (HTTP)",
    "token-p50": "token fetch, p50 (ms)",
    "token-p95": "token fetch, p95 (ms)",
    "token-max": "token fetch, slowest (ms)",
    "register-p95": "registration POST, p95 (ms)",
    "rtt-p50": "ping round trip, all channels, p50 (ms)",
    "rtt-p95": "ping round trip, all channels, p95 (ms)",
    "rtt-default-p95": "ping round trip, default channel, p95 (ms)",
    "rtt-practice-p95": "ping round trip, practice channel, p95 (ms)",
    "rtt-device-p95": "ping round trip, device socket, p95 (ms)",
    "steps-failed": "scenario steps not passed (reports)",
}
TIMES = {n for n, text in FIGURES.items() if text.endswith("(ms)")}


def figures(run: Run) -> dict[str, float | None]:
    s = summarize(run.incidents)
    out: dict[str, float | None] = {
        "incidents": s.count,
        "unrecovered": s.count - s.recovered,
        **{k: s.figures[k] for k in s.figures},
        "gap-max": s.worst_gap_ms,
        "captions-lost": s.captions_lost,
        "duplicates": sum(c.duplicates for c in run.captions),
    }
    http: dict[str, list[float]] = {"token": [], "register": []}
    rtt: dict[str, list[float]] = {}
    reconnects = registrations = refusals = 0
    for ev in run.events:
        d = ev.data
        if ev.kind is EventKind.RTT and isinstance(d.get("rtt_ms"), int | float):
            rtt.setdefault(ev.channel, []).append(float(d["rtt_ms"]))
        elif ev.kind is EventKind.HTTP and ev.channel == "http":
            what, ms = d.get("what"), d.get("ms")
            if what in http and isinstance(ms, int | float) and d.get("status") == 200:
                http[str(what)].append(float(ms))
        elif ev.kind is EventKind.HTTP and d.get("what") == "register" and "ms" in d:
            registrations += 1
        elif ev.kind is EventKind.HTTP and ev.channel != "http" and "status" in d:
            refusals += 1
        elif ev.kind is EventKind.ONLINE and d.get("again"):
            reconnects += 1
    tokens = http["token"]
    out.update(
        {
            "reconnects": reconnects,
            "registrations": registrations,
            "refusals": refusals,
            "token-fetches": len(tokens),
            "token-p50": percentile(tokens, 50),
            "token-p95": percentile(tokens, 95),
            "token-max": max(tokens) if tokens else None,
            "register-p95": percentile(http["register"], 95),
            "rtt-p50": percentile(_all(rtt.values()), 50),
            "rtt-p95": percentile(_all(rtt.values()), 95),
        }
    )
    for ch in ("default", "practice", "device"):
        out[f"rtt-{ch}-p95"] = percentile(rtt.get(ch, []), 95)
    out["steps-failed"] = (
        sum(1 for st in run.steps if st.get("status") != "passed") if run.kind == "report" else None
    )
    return out


def _all(groups: Iterable[list[float]]) -> list[float]:
    return [v for g in groups for v in g]


def show(name: str, value: float | None) -> str:
    if value is None:
        return "-"
    if name in TIMES:
        return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
    return f"{value:g}"
