"""Where the event log puts the events it no longer holds in memory: an append-only JSON
lines file in a private temporary directory, deleted when the log is cleared or closed, or
when the program exits. Export and all_events() read it back, oldest first.

One JSON array per line, [seq, t, wall, generation, channel, kind, summary, data]: about
half the size of the event's dict form and as fast to write.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from app.core.events import CoreEvent, EventKind


def _fallback(value: Any) -> Any:
    """Event data is JSON-safe by contract; anything else is kept as readable text."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_fallback).encode


class Spill:
    def __init__(self, prefix: str = "dcmon-log-") -> None:
        self.prefix = prefix
        self.count = 0  # events written
        self._dir: tempfile.TemporaryDirectory[str] | None = None  # removed at exit too
        self._out: IO[str] | None = None

    @property
    def path(self) -> Path | None:
        return Path(self._dir.name) / "events.jsonl" if self._dir is not None else None

    def write(self, events: Iterable[CoreEvent]) -> None:
        out = self._out
        if out is None:
            self._dir = tempfile.TemporaryDirectory(prefix=self.prefix)  # mode 0700
            out = self._out = open(self.path, "a", encoding="utf-8")  # type: ignore[arg-type]
        lines = [
            _encode([e.seq, e.t, e.wall, e.generation, e.channel, e.kind.value, e.summary, e.data])
            for e in events
        ]
        if lines:
            out.write("\n".join(lines) + "\n")
            self.count += len(lines)

    def read(self) -> Iterator[CoreEvent]:
        """Every spilled event, oldest first (a snapshot: what was written when called)."""
        if self._out is None or not self.count:
            return
        self._out.flush()
        n = self.count
        with open(self.path, encoding="utf-8") as fh:  # type: ignore[arg-type]
            for line, _ in zip(fh, range(n), strict=False):
                seq, t, wall, gen, channel, kind, summary, data = json.loads(line)
                yield CoreEvent(seq, t, wall, gen, channel, EventKind(kind), summary, data)

    def close(self) -> None:
        """Forget everything spilled and delete the file."""
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
        self.count = 0
