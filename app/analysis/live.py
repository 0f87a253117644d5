"""`join` prints one line per incident as it settles (back online and captions again)."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import TextIO

from app.core.events import CoreEvent
from app.core.incidents import IncidentTracker


class IncidentPrinter:
    def __init__(self, json_lines: bool = False, stream: TextIO | None = None) -> None:
        self.tracker = IncidentTracker()
        self.json_lines = json_lines
        self.stream = stream or sys.stdout
        self._printed: set[int] = set()

    def event(self, event: CoreEvent) -> None:
        self.tracker.feed(event)
        if event.heartbeat:
            return
        self._print(self.tracker.settled())

    def finish(self) -> None:
        """The session ended: what is still open is printed as it stands."""
        self.tracker.finish()
        self._print(self.tracker.incidents())

    def _print(self, incidents: list) -> None:
        for incident in incidents:
            if incident.number in self._printed:
                continue
            self._printed.add(incident.number)
            if self.json_lines:
                line = json.dumps({"type": "incident", **incident.to_json()})
            else:
                line = "** " + incident.one_line()
            with contextlib.suppress(BrokenPipeError):
                print(line, file=self.stream, flush=True)
