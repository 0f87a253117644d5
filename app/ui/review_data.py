"""Reading a saved session for review without Qt: chunked loading and snapshots from JSON.

Monotonic stamps in a recording (`online_since`, `fetched_at`, `next_retry_at`) belong to the
process that wrote it and mean nothing here; they are dropped, so the panels show no ages or
countdowns for a recorded snapshot instead of wrong ones.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CloseInfo,
    MeetingSnapshot,
    PhaseMark,
    TokenSnapshot,
)
from app.core.locus import Phase
from app.scenario.recording import Session, SessionFormatError, SessionLoader

SLICE = 500  # lines parsed between two looks at the clock
BUDGET = 0.015  # seconds of work between two yields to the loop: the window stays fluid


class Pacer:
    """Says when to yield: after `budget` seconds of work, so chunks fit the machine's speed."""

    def __init__(self, budget: float = BUDGET) -> None:
        self.budget = budget
        self._until = time.perf_counter() + budget

    def due(self) -> bool:
        return time.perf_counter() >= self._until

    async def pause(self) -> None:
        """Let the loop (and Qt: paints, input) run, then start a new budget."""
        await asyncio.sleep(0)
        self._until = time.perf_counter() + self.budget


async def load_in_chunks(
    path: str | Path,
    progress: Callable[[float], None] | None = None,
    budget: float = BUDGET,
) -> Session:
    """load_session, yielding to the loop every `budget` seconds of parsing (a few thousand
    lines at most); `progress(0..1)` at each yield and at the end.

    The file is read in a worker thread (a big file must not stall the window either).
    SessionFormatError as load_session. The event log's own JSON-lines export opens too
    (events only); its CSV export is refused with a message that says what opens where.
    """
    loop = asyncio.get_running_loop()
    try:
        raw = await loop.run_in_executor(None, Path(path).read_bytes)
    except OSError:
        raw = None  # SessionLoader reads again and raises its readable SessionFormatError
    kind = sniff(raw) if raw is not None else "session"
    if kind == "csv":
        raise SessionFormatError(str(path), None, CSV_REFUSAL)
    if kind == "events" and raw is not None:
        raw = await loop.run_in_executor(None, as_event_records, raw)
    loader = SessionLoader(path, raw)
    pacer = Pacer(budget)
    while not loader.step(SLICE):
        if pacer.due():
            await pacer.pause()
            if progress is not None:
                progress(loader.fraction)
    if progress is not None:
        progress(1.0)
    session = loader.session()
    if kind == "events":
        kept = tuple(p for p in session.problems if not p.startswith("no header"))
        note = "an event log export: events only, no snapshots (the panels show no state)"
        session = dataclasses.replace(session, problems=(note, *kept))
    return session


CSV_REFUSAL = (
    "a CSV export is for spreadsheets. File › Open session opens session recordings "
    "(File › Record session) and event log exports saved as JSON lines (.jsonl)"
)
_EVENT_KEYS = frozenset({"seq", "t", "wall", "generation", "channel", "kind", "summary", "data"})


def sniff(raw: bytes) -> str:
    """'session' (a recording, or `join --json`), 'events' (the event log's JSON-lines
    export: one event per line, no record type) or 'csv' (the event log's CSV export)."""
    first = next((line for line in raw.split(b"\n", 64)[:64] if line.strip()), b"")
    try:
        record = json.loads(first.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "csv" if first.startswith(b"seq,t,wall,") else "session"
    if isinstance(record, dict) and "type" not in record and _EVENT_KEYS <= record.keys():
        return "events"
    return "session"


def as_event_records(raw: bytes) -> bytes:
    """An event log export as session `event` records (the loader then checks each)."""
    out = []
    for line in raw.split(b"\n"):
        stripped = line.lstrip()
        out.append(b'{"type": "event", ' + stripped[1:] if stripped.startswith(b"{") else line)
    return b"\n".join(out)


def snapshot_from_json(data: Mapping[str, Any]) -> MeetingSnapshot:
    """The inverse of MeetingSnapshot.to_json(), tolerant of missing keys (older files)."""
    channels: dict[ChannelName, ChannelSnapshot] = {}
    for name, ch in (data.get("channels") or {}).items():
        try:
            channels[ChannelName(name)] = _channel(ChannelName(name), ch)
        except ValueError:  # a channel this version does not know
            continue
    tokens = {kind: _token(kind, tok) for kind, tok in (data.get("tokens") or {}).items()}
    timeline = tuple(
        PhaseMark(str(m.get("label", "")), float(m.get("t", 0.0)), float(m.get("wall", 0.0)))
        for m in data.get("timeline") or ()
    )
    return MeetingSnapshot(
        server=str(data.get("server", "")),
        profile=str(data.get("profile", "")),
        meeting_id=data.get("meeting_id"),
        generation=int(data.get("generation", 0)),
        phase=_enum(Phase, data.get("phase"), Phase.NOT_JOINED),
        badge=str(data.get("badge", "Not joined")),
        roles=tuple(data.get("roles") or ()),
        practice_enabled=bool(data.get("practice_enabled", False)),
        participant_id=data.get("participant_id"),
        locus_url=data.get("locus_url"),
        device_url=data.get("device_url"),
        keep_alives=int(data.get("keep_alives", 0)),
        timeline=timeline,
        tokens=tokens,
        channels=channels,
        last_error=data.get("last_error"),
    )


def _channel(name: ChannelName, d: Mapping[str, Any]) -> ChannelSnapshot:
    close = d.get("last_close")
    last_close = None
    if isinstance(close, Mapping):
        last_close = CloseInfo(
            close.get("code"),
            str(close.get("reason", "")),
            str(close.get("meaning", "")),
            str(close.get("action", "")),
            float(close.get("at") or 0.0),
        )
    return ChannelSnapshot(
        name=name,
        state=_enum(ChannelState, d.get("state"), ChannelState.OFFLINE),
        detail=str(d.get("detail", "")),
        generation=int(d.get("generation", 0)),
        registration_url=d.get("registration_url"),
        web_socket_url=d.get("web_socket_url"),
        binding=d.get("binding"),
        connects=int(d.get("connects", 0)),
        reconnects=int(d.get("reconnects", 0)),
        attempt=int(d.get("attempt", 0)),
        last_close=last_close,
        subscriptions=tuple(d.get("subscriptions") or ()),
        confirmed=tuple(d.get("confirmed") or ()),
        frames_in=int(d.get("frames_in", 0)),
        frames_out=int(d.get("frames_out", 0)),
        last_rtt_ms=d.get("last_rtt_ms"),
        register_ms=d.get("register_ms"),
        connect_ms=d.get("connect_ms"),
        sequence_gaps=int(d.get("sequence_gaps", 0)),
        registrations=int(d.get("registrations", 0)),
        last_error=d.get("last_error"),
    )


def _token(kind: str, d: Mapping[str, Any]) -> TokenSnapshot:
    return TokenSnapshot(
        token_type=str(d.get("token_type", kind)),
        masked=str(d.get("masked", "-")),
        source=d.get("source"),
        exp=d.get("exp"),
        decode_error=d.get("decode_error"),
        fetch_ms=d.get("fetch_ms"),
        last_result=str(d.get("last_result", "not issued")),
        last_ok=bool(d.get("last_ok", True)),
    )


def _enum(kind: Any, value: Any, default: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return default
