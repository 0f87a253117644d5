"""Client-neutral verdicts: what of a step this client can be judged on.

An expectation on the simulator's state view (`sim.` paths) holds for every client: it is
the ground truth. One that reads a client field the client cannot know (its `Capabilities`
say which, and why) is *not judged* for that client, never passed. An event expectation
whose filter asks for data the client never reports is checked on the rest of its filter:
if even that part fails the step fails; if it holds the step is still only *not judged*.
A client action the client cannot do at all is not judged, and the rest of the file is not
run (what follows would test nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.clients.interface import Capabilities, Command
from app.scenario import model as m

_COMMANDS: dict[type[m.ClientStep], Command] = {
    m.Join: Command.JOIN,
    m.Leave: Command.LEAVE,
    m.Drop: Command.DROP,
    m.Reconnect: Command.RECONNECT,
    m.Resubscribe: Command.RESUBSCRIBE,
    m.RefreshToken: Command.REFRESH_TOKEN,
}


@dataclass(frozen=True)
class Judgement:
    why: str | None  # None: fully judged
    step: m.Step | None  # what can still be checked (None: nothing)

    @property
    def partial(self) -> bool:
        return self.why is not None and self.step is not None


def judge(step: m.Step, caps: Capabilities) -> Judgement:
    if isinstance(step, m.ClientStep):
        command = _COMMANDS.get(type(step))
        why = caps.why_not(command) if command is not None else None
        return Judgement(f"{command} {why}" if why else None, None if why else step)
    if isinstance(step, m.ExpectPath):
        return _path(step, caps)
    if isinstance(step, m.ExpectEvent):
        why, f = _filter(step.filter, caps)
        return Judgement(why, replace(step, filter=f) if f is not None else None)
    if isinstance(step, m.ExpectEvents):
        why, f = _filter(step.filter, caps)
        if step.pluck is not None and f is not None:
            pluck_why = _pluck(step.pluck, step.filter.kind, caps)
            if pluck_why:  # the values themselves are unknown: nothing left to compare
                return Judgement(pluck_why, None)
        return Judgement(why, replace(step, filter=f) if f is not None else None)
    if isinstance(step, m.ExpectSequence):
        reasons, kept = [], []
        for f in step.filters:
            why, reduced = _filter(f, caps)
            if why:
                reasons.append(why)
            if reduced is not None:
                kept.append(reduced)
        if not reasons:
            return Judgement(None, step)
        why = "; ".join(dict.fromkeys(reasons))
        return Judgement(why, replace(step, filters=tuple(kept)) if kept else None)
    return Judgement(None, step)


def _path(step: m.ExpectPath, caps: Capabilities) -> Judgement:
    paths = [step.path] + [c.operand.path for c in step.checks if isinstance(c.operand, m.Ref)]
    for path in paths:
        if path.needs_sim:
            continue  # the simulator's view: ground truth for every client
        why = caps.field_unknown(path.text)
        if why:
            return Judgement(f"{path.text}: {why}", None)
    if not step.path.needs_sim:
        for c in step.checks:
            if c.op in ("equals", "not_equals", "contains") and not isinstance(c.operand, m.Ref):
                why = caps.value_unknown(step.path.text, c.operand)
                if why:
                    return Judgement(f"{step.path.text} {c.op} {c.operand!r}: {why}", None)
    return Judgement(None, step)


def _filter(f: m.EventFilter, caps: Capabilities) -> tuple[str | None, m.EventFilter | None]:
    """(why not fully judged, the filter without what cannot be known, or None)."""
    why = caps.event_unknown(f.kind)
    if why:
        return f"events of kind {f.kind!r}: {why}", None
    unknown = [k for k in f.data if caps.event_unknown(f.kind, (k,))]
    wording = caps.wording if f.summary is not None else None  # summaries are dcmon's words
    if not unknown and not wording:
        return None, f
    reasons = [f"{f.kind}.{k}: {caps.event_unknown(f.kind, (k,))}" for k in unknown]
    if wording:
        reasons.append(f"summary {f.summary!r}: {wording}")
    kept = {k: v for k, v in f.data.items() if k not in unknown}
    return "; ".join(reasons), replace(f, data=kept, summary=None if wording else f.summary)


def _pluck(path: m.Path, kind: str | None, caps: Capabilities) -> str | None:
    if len(path.parts) >= 2 and path.parts[0] == "data":
        why = caps.event_unknown(kind, (path.parts[1],))
        if why:
            return f"{kind}.{path.parts[1]}: {why}"
    return None
