"""What a run produced: one result per step, one per file; plain data for reports and UIs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.core.events import MeetingSnapshot


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # an expectation was not met
    ERROR = "error"  # a step could not be done (refused command, simulator error, setup)
    SKIPPED = "skipped"  # not run because an earlier step failed
    INTERRUPTED = "interrupted"  # Ctrl+C (or the caller's stop) came first
    NOT_JUDGED = "not judged"  # reads what this client cannot know (or do): never a pass


@dataclass(frozen=True)
class StepResult:
    index: int
    type: str
    description: str
    status: Status
    ms: float
    message: str = ""
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is Status.PASSED

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "type": self.type,
            "description": self.description,
            "ok": self.ok,
            "status": self.status.value,
            "ms": round(self.ms, 3),
            "message": self.message,
            "note": self.note,
        }


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    name: str
    status: Status
    steps: tuple[StepResult, ...] = ()
    ms: float = 0.0
    description: str = ""
    server: str = ""
    profile: str = ""
    started: float = 0.0  # time.time() at the start
    error: str = ""  # setup, teardown or validation problem (not tied to a step)
    timeline: tuple[Mapping[str, Any], ...] = ()  # CoreEvent.to_json() of every event
    last_snapshot: Mapping[str, Any] | None = None
    sim_state: Mapping[str, Any] | None = None
    client: str = "native"  # which client ran it: native | sdk
    client_version: str = ""  # dcmon's version, or the SDK's (webex 3.12.0)
    client_label: str = ""  # "dcmon core 1.0.0", "webex 3.12.0 from /path"
    actions: tuple[Mapping[str, Any], ...] = ()  # the steps' commands (Action.to_json())
    incidents: tuple[Mapping[str, Any], ...] = ()  # app.core.incidents, Incident.to_json()

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def failure(self) -> str:
        """The first failing step's message (or the setup error), for one-line summaries."""
        for step in self.steps:
            if step.status in (Status.FAILED, Status.ERROR):
                return f"step {step.index} {step.description}: {step.message}"
        return self.error

    def count(self, status: Status) -> int:
        return sum(1 for s in self.steps if s.status is status)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "name": self.name,
            "description": self.description,
            "passed": self.passed,
            "status": self.status.value,
            "ms": round(self.ms, 3),
            "server": self.server,
            "profile": self.profile,
            "client": self.client,
            "client_version": self.client_version,
            "client_label": self.client_label,
            "started": self.started,
            "error": self.error,
            "steps": [s.to_json() for s in self.steps],
            "actions": [dict(a) for a in self.actions],
            "incidents": [dict(i) for i in self.incidents],
            "timeline": [dict(e) for e in self.timeline],
            "last_snapshot": self.last_snapshot,
            "sim_state": self.sim_state,
        }


def summarize(snap: MeetingSnapshot) -> str:
    """One line of what matters in a snapshot, for failure messages."""
    channels = ", ".join(
        f"{name.value} {ch.state.value}"
        + (f" [{' '.join(ch.confirmed)}]" if ch.confirmed else "")
        + (f" (close {ch.last_close.code} {ch.last_close.reason!r})" if ch.last_close else "")
        for name, ch in snap.channels.items()
    )
    tokens = ", ".join(f"{kind} {t.source or '-'}" for kind, t in snap.tokens.items())
    text = (
        f"badge {snap.badge} (phase {snap.phase.value}, meeting {snap.meeting_id or '-'}, "
        f"generation {snap.generation}); channels: {channels}; tokens: {tokens}"
    )
    if snap.last_error:
        text += f"; last error: {snap.last_error}"
    return text
