"""Session recordings: a JSONL file written live, read back for offline review.

Format (version 1), one JSON object per line, each with a "type":

    {"type": "header", "format": "dcmon-session", "version": 1, "server": "...",
     "profile": "demo", "started": 1764100000.5, "app": "dcmon 0.1.0", "meeting": "demo-1"}
    {"type": "event", ...CoreEvent.to_json()...}       # every event except ping round trips
    {"type": "latency", "seq": 7, "t": 1.2, "wall": ..., "generation": 1,
     "channel": "default", "ms": 0.41}                  # one per ping round trip (an rtt event)
    {"type": "snapshot", "wall": ..., ...MeetingSnapshot.to_json()...}  # when it visibly changed
    {"type": "action", ...Action.to_json()...}         # a client / host / fault / socket command
    {"type": "incident", ...Incident.to_json()...}     # at close: each incident of the session

"event" and "snapshot" lines are exactly what `python -m app join --json` prints, so such a
capture loads too (without a header; the loader says so). The recorder flushes every line:
if the app dies, at most the line being written is lost, and the loader keeps everything
before a truncated last line and reports it. Nothing secret is written: events and snapshots
never hold a raw token (the core masks them).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app import __version__
from app.core.events import CoreEvent, EventKind, Hub, MeetingSnapshot
from app.core.incidents import Action, IncidentTracker

if TYPE_CHECKING:
    from app.core.meeting import MeetingClient

log = logging.getLogger("app.scenario")

FORMAT = "dcmon-session"
VERSION = 1


class SessionFormatError(ValueError):
    """Not a session recording we can read; names the file and line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.path, self.line = path, line


@dataclass(frozen=True)
class SessionHeader:
    version: int
    server: str
    profile: str
    started: float  # epoch seconds
    app: str = ""
    meeting: str | None = None


@dataclass(frozen=True)
class LatencySample:
    seq: int
    t: float  # seconds since the core started
    wall: float
    generation: int
    channel: str
    ms: float

    def to_event(self) -> CoreEvent:
        """The rtt event this sample was written for (as the core emits it)."""
        data = {"rtt_ms": self.ms}
        summary = f"rtt {self.ms:.2f} ms"
        return CoreEvent(
            self.seq, self.t, self.wall, self.generation, self.channel, EventKind.RTT, summary, data
        )


@dataclass(frozen=True)
class SnapshotRecord:
    wall: float
    data: Mapping[str, Any]  # MeetingSnapshot.to_json()


@dataclass(frozen=True)
class Session:
    path: str
    header: SessionHeader
    events: tuple[CoreEvent, ...]
    latency: tuple[LatencySample, ...]
    snapshots: tuple[SnapshotRecord, ...]
    problems: tuple[str, ...] = ()  # what was tolerated (truncated last line, no header ...)
    truncated: bool = False
    actions: tuple[Action, ...] = ()  # what the user (or the scenario) did, when
    incidents: tuple[Mapping[str, Any], ...] = ()  # as written at close (Incident.to_json())

    def timeline(self) -> list[CoreEvent]:
        """Every event in order, ping round trips included, ready for the same listeners."""
        merged = [*self.events, *(s.to_event() for s in self.latency)]
        return sorted(merged, key=lambda e: e.seq)


# -- writing ------------------------------------------------------------------------------


class Recorder:
    """Writes a hub's events and snapshots to a session file as they happen."""

    def __init__(
        self,
        hub: Hub,
        target: str | Path | TextIO,
        *,
        server: str,
        profile: str,
        meeting: str | None = None,
        started: float | None = None,
        snapshots: bool = True,
    ) -> None:
        if isinstance(target, str | Path):
            # our own file stays open for the whole session; closed in close()
            self._out: TextIO = open(target, "w", encoding="utf-8")
            self._own, self.path = True, str(target)
        else:
            self._out, self._own = target, False
            self.path = getattr(target, "name", "<stream>")
        self.lines = 0
        self.error: str | None = None
        self._digest: object = None
        self.incidents = IncidentTracker()  # written at close: recordings carry incidents
        header = {
            "type": "header",
            "format": FORMAT,
            "version": VERSION,
            "server": server,
            "profile": profile,
            "started": time.time() if started is None else started,
            "app": f"dcmon {__version__}",
            "meeting": meeting,
        }
        self._write(header)
        self._unsubscribe: list[Callable[[], None]] = [hub.on_event(self.event)]
        if snapshots:
            self._unsubscribe.append(hub.on_snapshot(self.snapshot))

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def event(self, event: CoreEvent) -> None:
        self.incidents.feed(event)
        if event.kind is EventKind.RTT and isinstance(event.data.get("rtt_ms"), int | float):
            self._write(
                {
                    "type": "latency",
                    "seq": event.seq,
                    "t": round(event.t, 6),
                    "wall": event.wall,
                    "generation": event.generation,
                    "channel": event.channel,
                    "ms": event.data["rtt_ms"],
                }
            )
        else:
            self._write({"type": "event", **event.to_json()})

    def action(self, action: Action) -> None:
        """A command the user took (app.scenario.actionlog), for causes and from_session."""
        self.incidents.add_action(action)
        self._write({"type": "action", **action.to_json()})

    def snapshot(self, snap: MeetingSnapshot) -> None:
        digest = _digest(snap)
        if digest != self._digest:  # frame counters alone do not make a new line
            self._digest = digest
            self._write({"type": "snapshot", "wall": time.time(), **snap.to_json()})

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self._unsubscribe:  # once: the incidents as the session ends
            self.incidents.finish()
            for incident in self.incidents.incidents():
                self._write({"type": "incident", **incident.to_json()})
        self._unsubscribe = []
        if self._own and not self._out.closed:
            self._out.close()

    def _write(self, record: Mapping[str, Any]) -> None:
        if self.error is not None:
            return
        try:
            self._out.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
            self._out.flush()  # one line at a time: a crash loses at most the line in flight
        except (OSError, ValueError) as exc:  # disk full, closed stream: stop, say so once
            self.error = f"recording to {self.path} stopped: {exc}"
            log.warning("%s", self.error)
            return
        self.lines += 1


def _digest(snap: MeetingSnapshot) -> object:
    return (
        snap.badge,
        snap.phase,
        snap.roles,
        snap.meeting_id,
        snap.generation,
        snap.last_error,
        len(snap.timeline),  # "Left" is marked after the badge already says so
        tuple(
            (n.value, c.state.value, c.confirmed, c.reconnects, c.registrations, c.last_error)
            for n, c in snap.channels.items()
        ),
        tuple((k, t.masked, t.source, t.last_result) for k, t in snap.tokens.items()),
    )


# -- reading ------------------------------------------------------------------------------

_NUM = (int, float)
_EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,),
    "t": _NUM,
    "wall": _NUM,
    "generation": (int,),
    "channel": (str,),
    "kind": (str,),
    "summary": (str,),
    "data": (dict,),
}
_LATENCY_FIELDS: dict[str, tuple[type, ...]] = {
    "seq": (int,),
    "t": _NUM,
    "wall": _NUM,
    "generation": (int,),
    "channel": (str,),
    "ms": _NUM,
}
_KINDS = {k.value: k for k in EventKind}


def load_session(path: str | Path) -> Session:
    """Read and validate a recording; a truncated last line is reported, the rest kept.

    Raises SessionFormatError for anything else that is wrong (a bad line in the middle,
    a missing header, a newer format version), naming the line.
    """
    loader = SessionLoader(path)
    while not loader.step(len(loader.lines)):
        pass
    return loader.session()


class SessionLoader:
    """`load_session` in slices, for a caller that must stay responsive (the window yields
    to its loop between slices): `while not loader.step(5000): await asyncio.sleep(0)`."""

    def __init__(self, path: str | Path, raw: bytes | None = None) -> None:
        """`raw`: the file's bytes when the caller already read them (e.g. in a thread)."""
        self.path = str(path)
        if raw is None:
            try:
                raw = Path(path).read_bytes()
            except OSError as exc:
                raise SessionFormatError(
                    self.path, None, f"cannot read: {exc.strerror or exc}"
                ) from None
        self.lines = raw.split(b"\n")
        self.next = 0  # index of the next line to read
        self._reader = _Reader(self.path)

    @property
    def done(self) -> bool:
        return self.next >= len(self.lines)

    @property
    def fraction(self) -> float:
        return self.next / len(self.lines) if self.lines else 1.0

    def step(self, max_lines: int = 5000) -> bool:
        """Read up to `max_lines` more lines; True once the whole file is read."""
        reader, total = self._reader, len(self.lines)
        end = min(self.next + max(max_lines, 1), total)
        for index in range(self.next, end):
            number, chunk = index + 1, self.lines[index]
            self.next = index + 1
            if not chunk.strip():
                continue
            try:
                record = json.loads(chunk.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                if number == total:  # the recorder died mid-line: keep everything before it
                    reader.problems.append(
                        f"line {number}: truncated last line ({len(chunk)} bytes) ignored"
                    )
                    reader.truncated = True
                    break
                raise SessionFormatError(self.path, number, f"not JSON: {exc}") from None
            if not isinstance(record, dict):
                raise SessionFormatError(self.path, number, "not a JSON object")
            reader.add(number, record)
        return self.done

    def session(self) -> Session:
        return self._reader.session()


def record_client(client: MeetingClient, path: str | Path, meeting: str | None = None) -> Recorder:
    """A Recorder on a MeetingClient's hub (`join --record FILE`); close it after the client.

    ValueError with a readable message when the file cannot be created."""
    try:
        return Recorder(
            client.hub, path, server=client.server, profile=client.settings.profile, meeting=meeting
        )
    except OSError as exc:
        raise ValueError(f"cannot record to {path}: {exc.strerror or exc}") from None


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.header: SessionHeader | None = None
        self.events: list[CoreEvent] = []
        self.latency: list[LatencySample] = []
        self.snapshots: list[SnapshotRecord] = []
        self.problems: list[str] = []
        self.truncated = False
        self.actions: list[Action] = []
        self.incidents: list[Mapping[str, Any]] = []

    def fail(self, line: int, message: str) -> SessionFormatError:
        return SessionFormatError(self.path, line, message)

    def add(self, line: int, record: dict[str, Any]) -> None:
        kind = record.get("type")
        if self.header is None:
            self.header = self._header(line, record)
            if kind == "header":
                return
        if kind == "event":
            self._event(line, record)
        elif kind == "latency":
            _fields(self, line, record, _LATENCY_FIELDS)
            self.latency.append(LatencySample(*(record[k] for k in _LATENCY_FIELDS)))
        elif kind == "snapshot":
            if not isinstance(record.get("wall"), _NUM):
                raise self.fail(line, "snapshot: 'wall' must be a number")
            data = {k: v for k, v in record.items() if k not in ("type", "wall")}
            self.snapshots.append(SnapshotRecord(record["wall"], data))
        elif kind == "action":
            try:
                self.actions.append(Action.from_json(record))
            except (KeyError, TypeError, ValueError) as exc:
                raise self.fail(line, f"action: {exc!r}") from None
        elif kind == "incident":
            self.incidents.append({k: v for k, v in record.items() if k != "type"})
        else:
            self.problems.append(f"line {line}: record type {kind!r} skipped (newer dcmon?)")

    def _header(self, line: int, record: dict[str, Any]) -> SessionHeader:
        kind = record.get("type")
        if kind in ("event", "snapshot"):  # `join --json` output: no header line
            self.problems.append("no header: read as `python -m app join --json` output")
            wall = record.get("wall")
            return SessionHeader(
                version=VERSION,
                server=str(record.get("server", "")),
                profile=str(record.get("profile", "")),
                started=float(wall) if isinstance(wall, _NUM) else 0.0,
            )
        if kind != "header" or record.get("format") != FORMAT:
            raise self.fail(line, f"not a {FORMAT} recording (the first line is no header)")
        version = record.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise self.fail(line, "header: 'version' must be an integer")
        if version > VERSION:
            raise self.fail(line, f"written by a newer dcmon (version {version}; I read {VERSION})")
        _fields(
            self, line, record, {"server": (str,), "profile": (str,), "started": _NUM}, "header"
        )
        meeting = record.get("meeting")
        return SessionHeader(
            version=version,
            server=record["server"],
            profile=record["profile"],
            started=float(record["started"]),
            app=str(record.get("app", "")),
            meeting=meeting if isinstance(meeting, str) else None,
        )

    def _event(self, line: int, record: dict[str, Any]) -> None:
        _fields(self, line, record, _EVENT_FIELDS)
        kind = _KINDS.get(record["kind"])
        if kind is None:
            self.problems.append(f"line {line}: event kind {record['kind']!r} skipped")
            return
        values = [record[k] for k in _EVENT_FIELDS]
        values[5] = kind
        self.events.append(CoreEvent(*values))

    def session(self) -> Session:
        if self.header is None:
            raise SessionFormatError(self.path, None, "empty: no header and no records")
        return Session(
            self.path,
            self.header,
            tuple(self.events),
            tuple(self.latency),
            tuple(self.snapshots),
            tuple(self.problems),
            self.truncated,
            tuple(self.actions),
            tuple(self.incidents),
        )


def _fields(
    reader: _Reader,
    line: int,
    record: Mapping[str, Any],
    spec: Mapping[str, tuple[type, ...]],
    what: str | None = None,
) -> None:
    what = what or str(record.get("type"))
    for key, types in spec.items():
        value = record.get(key)
        if isinstance(value, bool) or not isinstance(value, types):
            wanted = " or ".join(t.__name__ for t in types)
            raise reader.fail(line, f"{what}: {key!r} must be {wanted}, not {value!r:.40}")
