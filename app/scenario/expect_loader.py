"""Validating the four kinds of `expect` step: a path, `event`, `events` and `sequence`."""

from __future__ import annotations

from typing import Any, NoReturn

from app.core.events import ChannelName, EventKind
from app.scenario import model as m
from app.scenario.fields import Fields, check_json, type_name
from app.scenario.paths import PathError, parse_path

EVENT_KINDS = tuple(k.value for k in EventKind)
EVENT_CHANNELS = ("meeting", "token", "http", *(c.value for c in ChannelName))
SPECIAL = ("event", "events", "sequence")


def build_expect(f: Fields, what: str, index: int, note: str | None, within: float) -> m.Expect:
    limit = f.number("within", minimum=0, maximum=3600)
    within = within if limit is None else limit
    if what == "event":
        return m.ExpectEvent(
            index=index,
            note=note,
            within=within,
            filter=event_filter(f),
            count=f.integer("count", minimum=1) or 1,
            since=f.string("since"),
        )
    if what == "events":
        text = f.string("pluck")
        event_match = event_filter(f)
        pluck = _path(f, "pluck", text, free=True) if text is not None else None
        limit, since = f.integer("limit", minimum=1), f.string("since")
        return m.ExpectEvents(
            index=index,
            note=note,
            within=within,
            filter=event_match,
            checks=checks(f, refs=False),  # read last: see checks()
            pluck=pluck,
            limit=limit,
            since=since,
        )
    if what == "sequence":
        tables = f.tables("events", required=True) or []
        if len(tables) < 2:
            f.fail("events", "a sequence needs at least two events")
        filters = tuple(_nested_filter(f, i, t) for i, t in enumerate(tables, start=1))
        return m.ExpectSequence(
            index=index, note=note, within=within, filters=filters, since=f.string("since")
        )
    path = _path(f, "expect", what)
    meeting = f.string("meeting")
    if meeting is not None and not path.needs_sim:
        f.fail("meeting", "only `sim.` paths read another meeting's state")
    return m.ExpectPath(
        index=index, note=note, within=within, path=path, checks=checks(f), meeting=meeting
    )


def event_filter(f: Fields) -> m.EventFilter:
    generation = f.integer("generation", minimum=0)
    data = f.table("data")
    return m.EventFilter(
        kind=f.string("kind", choices=EVENT_KINDS),
        channel=f.string("channel", choices=EVENT_CHANNELS),
        summary=f.string("summary"),
        generation=generation,
        data=check_json(f.fail, "data", data) if data is not None else {},
    )


def _nested_filter(outer: Fields, position: int, table: dict[str, Any]) -> m.EventFilter:
    def fail(key: str | None, message: str) -> NoReturn:
        outer.fail("events", f"event {position}: key {key!r}: {message}")

    inner = Fields(table, fail)
    result = event_filter(inner)
    inner.finish()
    if result == m.EventFilter():
        outer.fail("events", f"event {position} matches everything: give a kind or channel")
    return result


def checks(f: Fields, refs: bool = True) -> tuple[m.Check, ...]:
    found: list[m.Check] = []
    for op in m.OPERATORS:
        if not f.has(op):
            f.raw(op)  # known here, for "did you mean" on a misspelled operator
            continue
        found.append(m.Check(op, _operand(f, op, f.raw(op), refs)))
    if not found:
        f.finish()  # every other key is read by now: `equal = 1` gets its "did you mean"
        f.fail(None, "needs a comparison: one of " + ", ".join(m.OPERATORS))
    return tuple(found)


def _operand(f: Fields, op: str, value: Any, refs: bool) -> Any:
    if isinstance(value, dict) and set(value) == {"ref"}:
        if not refs:
            f.fail(op, "a ref compares snapshot values; event counts compare with literals")
        if not isinstance(value["ref"], str):
            f.fail(op, f"ref must be a path string, not {type_name(value['ref'])}")
        return m.Ref(_path(f, op, value["ref"]))
    value = check_json(f.fail, op, value)
    if op == "exists" and not isinstance(value, bool):
        f.fail(op, f"must be true or false, not {type_name(value)}")
    if op in ("at_least", "at_most") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        f.fail(op, f"must be a number (or {{ ref = ... }}), not {type_name(value)}")
    if op == "contains" and isinstance(value, list | dict):
        f.fail(op, "must be a single value (a string, number or boolean)")
    return value


def _path(f: Fields, key: str, text: str, free: bool = False) -> m.Path:
    try:
        if free:  # a field of an event's JSON: no snapshot shape to check against
            parsed = parse_path("sim." + text)
            return m.Path(text, parsed.parts[1:])
        return parse_path(text)
    except PathError as exc:
        f.fail(key, str(exc))
