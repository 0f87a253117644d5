"""What a scenario file means once validated: frozen dataclasses, one per step type.

The loader builds these; the runner only reads them. Every step knows its 1-based index in
the file (for messages) and can describe itself in one line (for the console and reports).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def show(value: Any) -> str:
    """A value as the file would write it (JSON spelling: true, "text", [1, 2])."""
    return json.dumps(value, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class Path:
    """A dotted path into the snapshot (`channel.default.state`) or the sim view (`sim.`)."""

    text: str
    parts: tuple[str, ...]

    @property
    def root(self) -> str:
        return self.parts[0]

    @property
    def needs_sim(self) -> bool:
        return self.root == "sim"


@dataclass(frozen=True)
class Ref:
    """An operand read at check time: `equals = { ref = "sim.datachannelUrl" }`."""

    path: Path


@dataclass(frozen=True)
class Check:
    op: str  # one of OPERATORS
    operand: Any  # a JSON-like value from the file, or a Ref

    def describe(self) -> str:
        value = (
            f"{{ref {self.operand.path.text}}}"
            if isinstance(self.operand, Ref)
            else show(self.operand)
        )
        return f"{self.op} {value}"


OPERATORS = ("equals", "not_equals", "contains", "at_least", "at_most", "exists")


@dataclass(frozen=True)
class EventFilter:
    """Which core events match: every given field must agree (data: a subset match)."""

    kind: str | None = None
    channel: str | None = None
    summary: str | None = None  # substring, case-insensitive
    generation: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"{k}={show(v)}" for k, v in self._fields() if v is not None]
        parts += [f"data.{k}={show(v)}" for k, v in self.data.items()]
        return "{" + " ".join(parts) + "}"

    def _fields(self) -> list[tuple[str, Any]]:
        return [
            ("kind", self.kind),
            ("channel", self.channel),
            ("summary", self.summary),
            ("generation", self.generation),
        ]


@dataclass(frozen=True)
class Setup:
    meeting: str
    lobby: bool = True
    webinar: bool = True
    keep_alive_secs: int | None = None
    token_ttl_secs: int | None = None
    profile: str = "demo"
    timeout: float = 5.0  # default `within` of every expect
    display_name: str = "dcmon scenario"
    create: bool = True  # create the meeting through /sim/ before the first step


@dataclass(frozen=True, kw_only=True)
class Step:
    index: int  # 1-based position in the file
    note: str | None = None

    type_name = "step"
    blocking = True  # awaits the network; False: runs without yielding to the loop

    def describe(self) -> str:
        return self.type_name


@dataclass(frozen=True, kw_only=True)
class ClientStep(Step):
    """A command to the client; `fails` expects it to be refused with that text (bad input)."""

    fails: str | None = None

    def describe(self) -> str:
        base = self.action_text()
        return f"{base} (must fail: {show(self.fails)})" if self.fails is not None else base

    def action_text(self) -> str:
        return self.type_name


@dataclass(frozen=True, kw_only=True)
class Join(ClientStep):
    meeting: str | None = None  # None: the setup meeting
    display_name: str | None = None
    type_name = "join"

    def action_text(self) -> str:
        return f"join {self.meeting}" if self.meeting else "join"


@dataclass(frozen=True, kw_only=True)
class Leave(ClientStep):
    type_name = "leave"


@dataclass(frozen=True, kw_only=True)
class Drop(ClientStep):
    channel: str
    how: str = "reset"
    type_name = "drop"
    blocking = False

    def action_text(self) -> str:
        return f"drop {self.channel} ({self.how}, client side)"


@dataclass(frozen=True, kw_only=True)
class Reconnect(ClientStep):
    channel: str
    type_name = "reconnect"
    blocking = False

    def action_text(self) -> str:
        return f"reconnect {self.channel}"


@dataclass(frozen=True, kw_only=True)
class Resubscribe(ClientStep):
    channel: str
    type_name = "resubscribe"
    blocking = False

    def action_text(self) -> str:
        return f"resubscribe {self.channel}"


@dataclass(frozen=True, kw_only=True)
class RefreshToken(ClientStep):
    token_type: str
    type_name = "refresh_token"

    def action_text(self) -> str:
        return f"refresh_token {self.token_type}"


@dataclass(frozen=True, kw_only=True)
class Host(Step):
    action: str
    meeting: str | None = None  # None: the current meeting
    participant: str | None = None  # None: the client's own participant there
    args: Mapping[str, Any] = field(default_factory=dict)  # validated per action
    type_name = "host"

    def describe(self) -> str:
        extra = " ".join(f"{k}={show(v)}" for k, v in self.args.items())
        where = f" in {self.meeting}" if self.meeting else ""
        who = f" participant={self.participant}" if self.participant else ""
        return f"host {self.action}{where}{who}" + (f" {extra}" if extra else "")


@dataclass(frozen=True, kw_only=True)
class Fault(Step):
    endpoint: str
    mode: str
    delay_ms: int | None = None
    status: int | None = None
    count: int | None = None
    body: str | None = None  # mode "body": the raw answer text
    retry_after: int | None = None  # seconds for Retry-After (the simulator's 503 sends 1)
    type_name = "fault"

    def describe(self) -> str:
        extra = _pairs(
            ("delay_ms", self.delay_ms),
            ("status", self.status),
            ("count", self.count),
            ("body", self.body),
            ("retry_after", self.retry_after),
        )
        return " ".join(["fault", self.endpoint, self.mode, *extra])


@dataclass(frozen=True, kw_only=True)
class ClearFaults(Step):
    type_name = "clear_faults"


@dataclass(frozen=True, kw_only=True)
class Socket(Step):
    channel: str
    action: str
    code: int | None = None
    reason: str | None = None
    ms: int | None = None
    meeting: str | None = None
    participant: str | None = None
    frame: str | None = None  # action "send": the raw text frame
    type_name = "socket"

    def describe(self) -> str:
        extra = _pairs(
            ("code", self.code), ("reason", self.reason), ("ms", self.ms), ("frame", self.frame)
        )
        return " ".join([f"socket {self.channel} {self.action} (server side)", *extra])


@dataclass(frozen=True, kw_only=True)
class Pause(Step):
    seconds: float
    type_name = "pause"

    def describe(self) -> str:
        return f"pause {self.seconds:g} s (deliberate, not a synchronisation)"


@dataclass(frozen=True, kw_only=True)
class Mark(Step):
    name: str  # "" for an unnamed mark
    type_name = "mark"
    blocking = False

    def describe(self) -> str:
        return f"mark {self.name}" if self.name else "mark"


@dataclass(frozen=True, kw_only=True)
class Expect(Step):
    within: float
    type_name = "expect"


@dataclass(frozen=True, kw_only=True)
class ExpectPath(Expect):
    path: Path
    checks: tuple[Check, ...]
    meeting: str | None = None  # whose sim view `sim.` reads (default: the current meeting)

    def describe(self) -> str:
        checks = " and ".join(c.describe() for c in self.checks)
        where = f" (meeting {self.meeting})" if self.meeting else ""
        return f"expect {self.path.text}{where} {checks} within {self.within:g} s"


@dataclass(frozen=True, kw_only=True)
class ExpectEvent(Expect):
    """At least `count` matching events after the mark."""

    filter: EventFilter
    count: int = 1
    since: str | None = None  # mark name; None: the latest mark

    def describe(self) -> str:
        times = f" x{self.count}" if self.count != 1 else ""
        what = f"event {self.filter.describe()}{times}{_since(self.since)}"
        return f"expect {what} within {self.within:g} s"


@dataclass(frozen=True, kw_only=True)
class ExpectEvents(Expect):
    """The number of matching events (or a field of each, `pluck`) after the mark, checked."""

    filter: EventFilter
    checks: tuple[Check, ...]
    pluck: Path | None = None
    limit: int | None = None
    since: str | None = None

    def describe(self) -> str:
        what = f"events {self.filter.describe()}"
        if self.pluck is not None:
            what += f" .{self.pluck.text}"
        if self.limit is not None:
            what += f" (first {self.limit})"
        checks = " and ".join(c.describe() for c in self.checks)
        return f"expect {what}{_since(self.since)} {checks} within {self.within:g} s"


@dataclass(frozen=True, kw_only=True)
class ExpectSequence(Expect):
    """These events happen in this order after the mark (others may come in between)."""

    filters: tuple[EventFilter, ...]
    since: str | None = None

    def describe(self) -> str:
        chain = " -> ".join(f.describe() for f in self.filters)
        return f"expect sequence {chain}{_since(self.since)} within {self.within:g} s"


def _pairs(*pairs: tuple[str, Any]) -> list[str]:
    """`key=value` for the given values; long texts (frames, bodies) cut for one line."""
    out = []
    for key, value in pairs:
        if value is None:
            continue
        text = show(value)
        out.append(f"{key}={text if len(text) <= 40 else text[:37] + '...'}")
    return out


def _since(mark: str | None) -> str:
    return f" since {mark}" if mark else ""


@dataclass(frozen=True)
class Scenario:
    file: str  # as given on the command line
    name: str
    description: str
    setup: Setup
    steps: tuple[Step, ...]
