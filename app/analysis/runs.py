"""A run, whatever it was saved as: a session recording (JSONL, `join --record`, File >
Record session, `scenario --record`) or one file of a scenario report (`--report`).

Both carry the client's events; a recording also its actions, a report its steps and
verdicts. Incidents are derived again from the events (the same code as live), so a
recording from an older dcmon, or a `join --json` capture, has incidents too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.events import CoreEvent, EventKind
from app.core.incidents import Action, CaptionAudit, Incident, derive

_KINDS = {k.value: k for k in EventKind}


class RunFormatError(ValueError):
    """Not a recording or a scenario report we can read."""


@dataclass(frozen=True)
class Run:
    source: str  # the file, with "#<scenario file>" for one file of a report
    name: str
    kind: str  # "recording" | "report"
    client: str = ""
    profile: str = ""
    events: tuple[CoreEvent, ...] = ()  # every event, ping round trips included
    actions: tuple[Action, ...] = ()
    steps: tuple[Mapping[str, Any], ...] = ()  # report only: StepResult.to_json()
    status: str | None = None  # report only: the file's verdict
    incidents: tuple[Incident, ...] = ()
    captions: tuple[CaptionAudit, ...] = ()
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        extra = ", ".join(
            x for x in (self.kind, self.client, self.profile and "profile " + self.profile) if x
        )
        return f"{self.source} ({extra})"


def load_runs(path: str | Path) -> list[Run]:
    """Every run in a file: one for a recording, one per scenario file for a report."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RunFormatError(f"{path}: cannot read: {exc.strerror or exc}") from None
    head = raw.lstrip()[:1]
    if head == b"{":
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError:
            doc = None  # JSONL: many objects, one per line
        if isinstance(doc, dict) and ("files" in doc or "timeline" in doc):
            return _report_runs(str(path), doc)
    return [_recording_run(path, raw)]


def _recording_run(path: Path, raw: bytes) -> Run:
    from app.scenario.recording import SessionFormatError, SessionLoader

    try:
        loader = SessionLoader(path, raw)
        while not loader.step(20_000):
            pass
        session = loader.session()
    except SessionFormatError as exc:
        raise RunFormatError(str(exc)) from None
    events = tuple(session.timeline())
    tracker = derive(events, session.actions)
    return Run(
        source=str(path),
        name=session.header.meeting or path.stem,
        kind="recording",
        client=_client_of(session.header.app),
        profile=session.header.profile,
        events=events,
        actions=session.actions,
        incidents=tuple(tracker.incidents()),
        captions=tuple(tracker.captions()),
        problems=session.problems,
    )


def _client_of(app: str) -> str:
    return "native" if app.startswith("dcmon") else app


def _report_runs(path: str, doc: Mapping[str, Any]) -> list[Run]:
    files = doc.get("files") if "files" in doc else [doc]
    if not isinstance(files, list):
        raise RunFormatError(f"{path}: 'files' is not a list")
    runs = []
    for f in files:
        if not isinstance(f, Mapping):
            raise RunFormatError(f"{path}: a file entry is not an object")
        events = tuple(e for d in f.get("timeline") or () if (e := event_from_json(d)))
        actions = tuple(Action.from_json(a) for a in f.get("actions") or ())
        tracker = derive(events, actions)
        source = path if len(files) == 1 else f"{path}#{f.get('file', '?')}"
        runs.append(
            Run(
                source=source,
                name=str(f.get("name") or f.get("file") or path),
                kind="report",
                client=str(f.get("client_label") or f.get("client") or doc.get("client") or ""),
                profile=str(f.get("profile") or ""),
                events=events,
                actions=actions,
                steps=tuple(f.get("steps") or ()),
                status=f.get("status"),
                incidents=tuple(tracker.incidents()),
                captions=tuple(tracker.captions()),
            )
        )
    return runs


def event_from_json(d: Any) -> CoreEvent | None:
    """A CoreEvent from its to_json(); None for what this dcmon does not know."""
    if not isinstance(d, Mapping):
        return None
    kind = _KINDS.get(str(d.get("kind")))
    try:
        if kind is None:
            return None
        return CoreEvent(
            int(d["seq"]),
            float(d["t"]),
            float(d["wall"]),
            int(d.get("generation", 0)),
            str(d["channel"]),
            kind,
            str(d.get("summary", "")),
            dict(d.get("data") or {}),
        )
    except (KeyError, TypeError, ValueError):
        return None


def pick(runs: Sequence[Run], name: str | None, path: str) -> Run:
    """One run of a file: the only one, or the one whose name or file matches `name`."""
    if len(runs) == 1 and name is None:
        return runs[0]
    if name is None:
        names = ", ".join(r.source.rsplit("#", 1)[-1] for r in runs)
        raise RunFormatError(f"{path} holds {len(runs)} runs ({names}): pick one with FILE#NAME")
    for r in runs:
        if name in (r.name, r.source.rsplit("#", 1)[-1], Path(r.source.rsplit("#", 1)[-1]).stem):
            return r
    raise RunFormatError(f"{path}: no run named {name!r}")
