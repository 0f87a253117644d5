"""Turning an `expect` step into a synchronous check over the newest snapshot, events and
simulator state. The waiter calls it whenever something changed; it never waits itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.events import CoreEvent
from app.scenario import model as m
from app.scenario.context import RunContext
from app.scenario.paths import Missing, check, needs_sim, resolve, same, show


@dataclass(frozen=True)
class Outcome:
    ok: bool
    actual: str  # what was seen, for the failure message


@dataclass(frozen=True)
class Condition:
    check: Callable[[], Outcome]
    sim_meetings: tuple[str, ...]  # state views the check reads (empty: core only)

    @property
    def needs_sim(self) -> bool:
        return bool(self.sim_meetings)


def condition_for(step: m.Expect, ctx: RunContext) -> Condition:
    if isinstance(step, m.ExpectPath):
        return _path_condition(step, ctx)
    name: str | None = getattr(step, "since", None) or ctx.last_mark_name
    since = ctx.since(getattr(step, "since", None))
    if name == "start" or (name is None and since == 0):
        label = "the start"
    else:
        label = f"mark {name!r}" if name else "the last mark"
    if isinstance(step, m.ExpectEvent):
        return Condition(lambda: _event_outcome(step, ctx.watch.events, since, label), ())
    if isinstance(step, m.ExpectEvents):
        return Condition(lambda: _events_outcome(step, ctx.watch.events, since, label), ())
    if isinstance(step, m.ExpectSequence):
        return Condition(lambda: _sequence_outcome(step, ctx.watch.events, since, label), ())
    raise TypeError(f"not an expectation: {step!r}")


# -- paths -------------------------------------------------------------------------------


def _path_condition(step: m.ExpectPath, ctx: RunContext) -> Condition:
    meeting = ctx.meeting(step.meeting)
    with_sim = needs_sim(step.path, step.checks)

    def run() -> Outcome:
        doc: dict[str, Any] = ctx.snapshot_doc()
        if with_sim:
            doc["sim"] = ctx.sim_doc(meeting)
        value = resolve(doc, step.path)
        ok = True
        seen = [f"{step.path.text} is {show(value)}"]
        for c in step.checks:
            operand = c.operand
            if isinstance(operand, m.Ref):
                operand = resolve(doc, operand.path)
                seen.append(f"{c.operand.path.text} is {show(operand)}")
            ok = ok and check(value, c, operand)
        return Outcome(ok, "; ".join(seen))

    return Condition(run, (meeting,) if with_sim else ())


# -- events ------------------------------------------------------------------------------


def matches(f: m.EventFilter, e: CoreEvent) -> bool:
    if f.kind is not None and e.kind.value != f.kind:
        return False
    if f.channel is not None and e.channel != f.channel:
        return False
    if f.generation is not None and e.generation != f.generation:
        return False
    if f.summary is not None and f.summary.lower() not in e.summary.lower():
        return False
    return all(k in e.data and same(e.data[k], v) for k, v in f.data.items())


def _seen(f: m.EventFilter, events: Sequence[CoreEvent], n: int = 5) -> str:
    """What did happen, for a failure: near misses (same kind and channel) with their data,
    else the latest events that are not pings or captions."""
    near = [
        e
        for e in events
        if f.kind is not None
        and e.kind.value == f.kind
        and (f.channel is None or e.channel == f.channel)
    ]
    if near:
        return "near misses: " + " | ".join(
            f"#{e.seq} {e.channel} {e.kind.value}: {e.summary} {show(dict(e.data))}"
            for e in near[-n:]
        )
    tail = [e for e in events if not e.heartbeat and e.kind.value != "transcript"][-n:]
    if not tail:
        return "no events"
    return "latest: " + " | ".join(
        f"#{e.seq} {e.channel} {e.kind.value}: {e.summary}" for e in tail
    )


def _event_outcome(step: m.ExpectEvent, events: list[CoreEvent], since: int, label: str) -> Outcome:
    window = events[since:]
    hits = [e for e in window if matches(step.filter, e)]
    if len(hits) >= step.count:
        return Outcome(True, f"{len(hits)} matching, first #{hits[0].seq}: {hits[0].summary}")
    return Outcome(
        False,
        f"{len(hits)} of {step.count} matching events since {label} "
        f"({len(window)} events since then; {_seen(step.filter, window)})",
    )


def _events_outcome(
    step: m.ExpectEvents, events: list[CoreEvent], since: int, label: str
) -> Outcome:
    hits = [e for e in events[since:] if matches(step.filter, e)]
    if step.limit is not None:
        hits = hits[: step.limit]
    value: Any = len(hits)
    if step.pluck is not None:
        pluck = step.pluck
        value = [resolve(e.to_json(), pluck) for e in hits]
        value = [None if isinstance(v, Missing) else v for v in value]
    ok = all(check(value, c, c.operand) for c in step.checks)
    what = "values" if step.pluck is not None else "count"
    listed = "; ".join(f"#{e.seq} {e.channel} {e.kind.value}: {e.summary}" for e in hits[:5])
    more = f" ({listed}{'; ...' if len(hits) > 5 else ''})" if hits else ""
    return Outcome(ok, f"{what} since {label}: {show(value)}{more}")


def _sequence_outcome(
    step: m.ExpectSequence, events: list[CoreEvent], since: int, label: str
) -> Outcome:
    found: list[CoreEvent] = []
    filters = iter(step.filters)
    wanted = next(filters)
    for e in events[since:]:
        if matches(wanted, e):
            found.append(e)
            nxt = next(filters, None)
            if nxt is None:
                order = ", ".join(f"#{e.seq}" for e in found)
                return Outcome(True, f"in order: {order}")
            wanted = nxt
    done = ", ".join(f"#{e.seq} {e.kind.value}" for e in found) or "none"
    return Outcome(
        False,
        f"matched {len(found)} of {len(step.filters)} in order since {label} ({done}); "
        f"still waiting for {wanted.describe()}",
    )
