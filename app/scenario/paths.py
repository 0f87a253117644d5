"""The expectation language: dotted paths over plain JSON data, and five comparisons.

No eval(): a path is split on dots and walked key by key (a number indexes a list,
`length` counts a list, table or string). Paths are checked against the snapshot's shape when
the file is loaded, so a typo fails before anything runs; `sim.` paths are free-form (the
simulator's state view may grow fields).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from app.core.events import ChannelName, ChannelSnapshot, CloseInfo, MeetingSnapshot, TokenSnapshot
from app.core.locus import TOKEN_TYPES
from app.scenario.model import Check, Path, Ref

_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
TOKEN_DERIVED = ("present", "age", "expires_in")
SNAPSHOT_FIELDS = tuple(f.name for f in dataclasses.fields(MeetingSnapshot))
CHANNEL_FIELDS = tuple(f.name for f in dataclasses.fields(ChannelSnapshot))
CLOSE_FIELDS = tuple(f.name for f in dataclasses.fields(CloseInfo))
TOKEN_FIELDS = tuple(f.name for f in dataclasses.fields(TokenSnapshot)) + TOKEN_DERIVED
ROOTS = (*SNAPSHOT_FIELDS, "channel", "token", "sim")


class PathError(ValueError):
    """A path that cannot be right whatever happens at run time."""


class Missing:
    """The value a path did not reach, with where it stopped (for failure messages)."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __repr__(self) -> str:
        return f"<missing: {self.why}>"


def parse_path(text: str) -> Path:
    parts = tuple(text.split("."))
    if not text or not all(_SEGMENT.match(p) for p in parts):
        raise PathError(
            f"{text!r} is not a path: use names, numbers and '-' joined by dots, "
            "e.g. channel.default.state"
        )
    path = Path(text, parts)
    _check_shape(path)
    return path


def _check_shape(path: Path) -> None:
    """Validate as deep as the snapshot's shape is known; `sim.` only needs its root."""
    root, rest = path.root, path.parts[1:]
    if root not in ROOTS:
        raise PathError(_unknown("root", root, ROOTS))
    if root in ("channel", "channels"):
        _member(rest, "channel", tuple(c.value for c in ChannelName), CHANNEL_FIELDS)
        if len(rest) >= 3 and rest[1] == "last_close":
            _one_of(rest[2], "last_close field", CLOSE_FIELDS)
    elif root in ("token", "tokens"):
        _member(rest, "token type", TOKEN_TYPES, TOKEN_FIELDS)


def _member(
    rest: tuple[str, ...], what: str, names: tuple[str, ...], fields: tuple[str, ...]
) -> None:
    if rest:
        _one_of(rest[0], what, names)
    if len(rest) >= 2:
        _one_of(rest[1], f"{what} field", fields)


def _one_of(name: str, what: str, choices: tuple[str, ...]) -> None:
    if name not in choices:
        raise PathError(_unknown(what, name, choices))


def _unknown(what: str, name: str, choices: tuple[str, ...]) -> str:
    near = difflib.get_close_matches(name, choices, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"unknown {what} {name!r}{hint}; one of: {', '.join(choices)}"


def resolve(doc: Mapping[str, Any], path: Path) -> Any:
    """Walk `path` through `doc`; a `Missing` when it leads nowhere."""
    value: Any = doc
    walked: list[str] = []
    for part in path.parts:
        if isinstance(value, Missing):  # a gap stored in the document says why itself
            return value
        found = _step(value, part)
        if isinstance(found, Missing) and not (isinstance(value, Mapping) and part in value):
            where = ".".join(walked) or "the root"
            return Missing(f"{where} has no {part!r} ({found.why})")
        value = found
        walked.append(part)
    return value


def _step(value: Any, part: str) -> Any:
    if isinstance(value, Mapping):
        if part in value:
            return value[part]
        if part == "length":
            return len(value)
        keys = ", ".join(map(str, list(value)[:12])) or "nothing"
        return Missing(f"keys: {keys}")
    if isinstance(value, list | tuple):
        if part == "length":
            return len(value)
        if re.fullmatch(r"-?\d+", part):
            i = int(part)
            return value[i] if -len(value) <= i < len(value) else Missing(f"{len(value)} items")
        return Missing(f"a list of {len(value)}; use an index or length")
    if isinstance(value, str) and part == "length":
        return len(value)
    return Missing(f"it is {_show(value)}")


# -- comparisons --------------------------------------------------------------------------


def check(value: Any, c: Check, operand: Any) -> bool:
    """Does `value` pass `c` (with `operand` already resolved if it was a Ref)?"""
    if c.op == "exists":
        present = not isinstance(value, Missing) and value is not None
        return present is bool(operand)
    if isinstance(value, Missing) or isinstance(operand, Missing):
        return False
    if c.op == "equals":
        return same(value, operand)
    if c.op == "not_equals":
        return not same(value, operand)
    if c.op == "contains":
        if isinstance(value, str):
            return isinstance(operand, str) and operand in value
        if isinstance(value, Mapping):
            return operand in value
        if isinstance(value, list | tuple):
            return any(same(item, operand) for item in value)
        return False
    if not (_number(value) and _number(operand)):
        return False
    return value >= operand if c.op == "at_least" else value <= operand


def same(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value (0.1 == 0.1 after float arithmetic), bools apart."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _number(a) and _number(b):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)  # as a TOML/JSON reader spells it
    return text if len(text) <= 120 else text[:117] + "..."


def show(value: Any) -> str:
    """A value for a failure message."""
    return value.why if isinstance(value, Missing) else _show(value)


def needs_sim(path: Path, checks: tuple[Check, ...]) -> bool:
    return path.needs_sim or any(
        isinstance(c.operand, Ref) and c.operand.path.needs_sim for c in checks
    )


# -- the documents paths walk -------------------------------------------------------------


def snapshot_doc(snap: MeetingSnapshot) -> dict[str, Any]:
    """`MeetingSnapshot.to_json()` plus `channel`/`token` aliases and token present/age."""
    doc = snap.to_json()
    for kind, token in snap.tokens.items():
        entry = doc["tokens"][kind]
        entry["present"] = token.source is not None
        entry["age"] = token.age()
        entry["expires_in"] = token.expires_in()
    doc["channel"] = doc["channels"]
    doc["token"] = doc["tokens"]
    return doc


def sim_doc(state: Mapping[str, Any], participant_id: str | None) -> dict[str, Any]:
    """The simulator's state view plus `participant` (ours) and `issued` counts per person."""
    doc = dict(state)
    people = [dict(p) for p in state.get("participants", [])]
    for person in people:
        issued = dict.fromkeys(TOKEN_TYPES, 0)
        for token in person.get("tokens", []):
            kind = token.get("tokenType")
            issued[kind] = issued.get(kind, 0) + 1
        person["issued"] = issued
    doc["participants"] = people
    mine = next((p for p in people if p.get("participantId") == participant_id), None)
    if mine is not None:
        doc["participant"] = mine
    return doc
