"""7. Scaling with the event log: 10k, 100k and 1M events through the window's event log model.

The model is app/ui/eventmodel.py (EventModel, bounded at `capacity` = 100 000 rows, oldest
trimmed first) behind its EventFilter proxy, wired as the Event log panel wires them. Events
are fed as a long session would: core events (mostly transcripts, some RTT heartbeats,
state/HTTP/token lines) through `add()`, flushed in batches as the panel's 10 Hz timer does.

For each size, in a fresh process (so RSS means something):
  memory  RSS growth after feeding N events (gc'd), vs the floor: the same events in a plain
          `collections.deque(maxlen=capacity)`, the least a bounded in-memory log can hold;
  feed    time per event for add + flush (proxy filtering the new rows included);
  filter  one text search over everything held (set_filter(text=...)), vs the floor: the
          same predicate over the same deque in a list comprehension.
The floor runs in the same process, interleaved with the model (its own repetitions).

The report says whether the model spills to disk: bounded memory is only half the goal; a
long session must not lose its oldest events (export, search) to stay usable.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

from bench.common import Budget, median, ms, progress, rss_bytes, run_child
from bench.report import Result, Row

NAME = "eventlog_scale"
TITLE = "Event log scaling (app/ui/eventmodel.py)"
MB = 1024 * 1024
BATCH = 400  # events per flush: 2 channels x 2000/s at the panel's 10 Hz
SEARCH = "slide"  # a word found in one transcript sentence in ten

_SENTENCES = (
    "Good morning everyone, thanks for joining.",
    "Let's start with a quick look at last quarter.",
    "And so the next slide shows the latency numbers per region.",
    "The data channel stayed online through the whole rehearsal.",
    "Could the panelists unmute for a moment, please?",
    "We will take questions at the end of the session.",
    "Reconnects are down by half since the last release.",
    "Please keep your questions in the chat for now.",
    "That covers the roadmap for the next two sprints.",
    "Thanks again, and see you all next week.",
)


def events(n: int) -> Iterator[Any]:
    """A realistic mix: 80% transcripts, 15% RTT heartbeats, 5% state / HTTP lines."""
    from app.core.events import CoreEvent, EventKind

    t0 = time.time()
    for i in range(n):
        r = i % 20
        ch = "default" if i % 2 else "practice"
        if r < 16:
            text = _SENTENCES[i % len(_SENTENCES)]
            kind, summary = EventKind.TRANSCRIPT, text
            data: dict[str, Any] = {"text": text, "final": True, "language": "en"}
        elif r < 19:
            v = 0.3 + (i % 7) / 10
            kind, summary, data = EventKind.RTT, f"rtt {v:.2f} ms", {"rtt_ms": v}
        else:
            kind = EventKind.HTTP
            summary = f"register 200 in {i % 9} ms"
            data = {"what": "register", "status": 200, "ms": float(i % 9)}
        yield CoreEvent(i + 1, i / 1000, t0 + i / 1000, 1, ch, kind, summary, data)


def child(n: int, capacity: int, reps: int) -> dict[str, Any]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.ui.eventmodel import EventFilter, EventModel

    app = QApplication.instance() or QApplication(["bench"])  # noqa: F841 (keeps Qt alive)
    out: dict[str, Any] = {"n": n, "capacity": capacity}

    # -- floor first: a plain bounded deque of the same events -----------------------------
    gc.collect()
    base = rss_bytes()
    floor: deque[Any] = deque(maxlen=capacity)
    t0 = time.perf_counter_ns()
    for ev in events(n):
        floor.append(ev)
    out["floor_feed_us_per_event"] = (time.perf_counter_ns() - t0) / 1000 / n
    gc.collect()
    out["floor_rss_mb"] = (rss_bytes() - base) / MB

    # -- the model, as the Event log panel wires it ----------------------------------------
    gc.collect()
    base = rss_bytes()
    model = EventModel(capacity)
    proxy = EventFilter()
    proxy.setSourceModel(model)
    model._flush.stop()  # we flush in batches ourselves (no Qt loop runs here)
    t0 = time.perf_counter_ns()
    for i, ev in enumerate(events(n), 1):
        model.add(ev)
        if i % BATCH == 0:
            model.flush()
    model.flush()
    model._flush.stop()
    out["feed_us_per_event"] = (time.perf_counter_ns() - t0) / 1000 / n
    gc.collect()
    out["model_rss_mb"] = (rss_bytes() - base) / MB
    out["held"] = model.rowCount()
    out["trimmed"] = model.trimmed
    out["shown_default_filter"] = proxy.rowCount()

    # -- filter: one text search over everything held, model vs floor, interleaved -----------
    def floor_search() -> int:
        return sum(
            1
            for ev in floor
            if not ev.heartbeat and SEARCH in f"{ev.channel} {ev.kind.value} {ev.summary}".lower()
        )

    model_ms: list[float] = []
    floor_ms: list[float] = []
    shown = 0
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        proxy.set_filter(text=SEARCH)
        shown = proxy.rowCount()
        model_ms.append(ms(time.perf_counter_ns() - t0))
        proxy.set_filter(text="")
        t0 = time.perf_counter_ns()
        floor_hits = floor_search()
        floor_ms.append(ms(time.perf_counter_ns() - t0))
    out["filter_ms"] = median(model_ms)
    out["floor_filter_ms"] = median(floor_ms)
    out["filter_hits"] = shown
    out["floor_hits"] = floor_hits
    # judged by behaviour, whatever the mechanism: can the oldest events still be reached
    # (export goes through all_events()) once more than `capacity` came in?
    out["reachable"] = sum(1 for _ in model.all_events())
    out["spill_to_disk"] = out["reachable"] >= n > out["held"]
    out["rss_total_mb"] = rss_bytes() / MB
    return out


def child_many(sizes: list[int], capacity: int, reps: int) -> list[dict[str, Any]]:
    """Several sizes in one process (smoke budget only: RSS deltas then mean little)."""
    return [child(n, capacity, reps) for n in sizes]


def run(budget: Budget) -> Result:
    sizes = budget.pick([10_000, 100_000, 1_000_000], [10_000, 100_000, 150_000], [500, 3_000])
    capacity = budget.pick(100_000, 100_000, 1_000)  # the panel's default; smaller to smoke-test
    reps = budget.pick(3, 1, 1)
    rows: list[Row] = []
    details: dict[str, Any] = {"sizes": {}}
    spill = False
    if budget.smoke:
        kwargs = {"sizes": sizes, "capacity": capacity, "reps": reps}
        outs = dict(zip(sizes, run_child("eventlog_scale", "child_many", kwargs), strict=True))
    for n in sizes:
        if budget.smoke:
            out = outs[n]
        else:
            progress(f"eventlog_scale: {n:,} events (fresh process)")
            kwargs = {"n": n, "capacity": capacity, "reps": reps}
            out = run_child("eventlog_scale", "child", kwargs)
        details["sizes"][str(n)] = out
        spill = out["spill_to_disk"]  # the largest size decides
        label = f"{n / 1000:g}k" if n < 1_000_000 else f"{n / 1_000_000:g}M"
        rows.append(
            Row(
                NAME,
                f"{label} events: memory held",
                out["model_rss_mb"],
                out["floor_rss_mb"],
                unit="MB",
                note=f"{out['held']:,} rows held, {out['trimmed']:,} dropped",
            )
        )
        rows.append(
            Row(
                NAME,
                f"{label} events: add + flush per event",
                out["feed_us_per_event"],
                out["floor_feed_us_per_event"],
                unit="us",
            )
        )
        rows.append(
            Row(
                NAME,
                f"{label} events: text search over the log",
                out["filter_ms"],
                out["floor_filter_ms"],
                note=f"{out['filter_hits']:,} hits",
            )
        )
    big = details["sizes"][str(sizes[-1])]
    mid = details["sizes"][str(sizes[-2])] if len(sizes) > 1 else big
    bounded = big["model_rss_mb"] <= 1.5 * max(mid["model_rss_mb"], 1.0)
    rows.append(
        Row(
            NAME,
            f"memory bounded ({sizes[-1]:,} vs {sizes[-2]:,} events, cap {capacity:,})",
            big["model_rss_mb"],
            mid["model_rss_mb"],
            unit="MB",
            target="bounded",
            met=bounded,
        )
    )
    rows.append(
        Row(
            NAME,
            f"events still reachable after {sizes[-1]:,} (spill to disk)",
            float(big["reachable"]),
            float(sizes[-1]),
            unit="",
            target="spills",
            met=spill,
            note="" if spill else f"no spill: beyond {capacity:,} rows the oldest are dropped",
        )
    )
    details["capacity"] = capacity
    return Result(NAME, TITLE, rows, details)
