"""What one scenario run holds: the client, its watch, the host control, marks, meetings.

Meeting names in a file are mapped to real ids here: as written against the embedded
simulator (a fresh one per file), with a run suffix against `--server` so that runs never
meet each other's meetings on a shared simulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.clients.interface import Client
from app.core.events import MeetingSnapshot
from app.core.watch import Watch
from app.scenario.model import Scenario
from app.scenario.paths import Missing, sim_doc, snapshot_doc
from app.sim import SimControl, SimControlError, Simulator


class RunContext:
    def __init__(
        self,
        scenario: Scenario,
        client: Client,
        watch: Watch,
        host: SimControl,
        sim: Simulator | None,
        suffix: str = "",
    ) -> None:
        self.scenario = scenario
        self.client = client
        self.watch = watch
        self.host = host
        self.sim = sim  # None: a --server; its state is fetched over HTTP into `_cache`
        self.suffix = suffix
        self.current = self.real(scenario.setup.meeting)  # the meeting host steps act on
        self.marks: dict[str, int] = {"start": 0}
        self.last_mark = 0
        self.last_mark_name: str | None = None  # None: unnamed (or no mark yet)
        self.faults_set = False
        self.participants: dict[str, str] = {}  # real meeting id -> our participant id there
        self._cache: dict[str, Mapping[str, Any] | Missing] = {}
        self._unsubscribe = client.hub.on_snapshot(self._seen)

    def close(self) -> None:
        self._unsubscribe()

    # -- meetings and participants ------------------------------------------------------------
    def real(self, name: str) -> str:
        return name + self.suffix

    def meeting(self, name: str | None) -> str:
        return self.current if name is None else self.real(name)

    def participant(self, meeting: str) -> str | None:
        self._seen(self.client.snapshot)
        return self.participants.get(meeting)

    def _seen(self, snap: MeetingSnapshot) -> None:
        if snap.meeting_id and snap.participant_id:
            self.participants[snap.meeting_id] = snap.participant_id

    # -- marks ---------------------------------------------------------------------------------
    def set_mark(self, name: str) -> None:
        self.last_mark = self.watch.mark()
        self.last_mark_name = name or None
        if name:
            self.marks[name] = self.last_mark

    def since(self, name: str | None) -> int:
        return self.last_mark if name is None else self.marks[name]

    # -- documents for expectations -------------------------------------------------------------
    def snapshot_doc(self) -> dict[str, Any]:
        return snapshot_doc(self.client.snapshot)

    def sim_doc(self, meeting: str) -> Mapping[str, Any] | Missing:
        state = self._state(meeting)
        if isinstance(state, Missing):
            return state
        return sim_doc(state, self.participant(meeting))

    def _state(self, meeting: str) -> Mapping[str, Any] | Missing:
        if self.sim is None:
            return self._cache.get(meeting, Missing(f"state of {meeting!r} not fetched yet"))
        try:
            return self.sim.state_view(meeting)
        except KeyError:
            return Missing(f"no meeting {meeting!r} in the simulator")

    async def refresh(self, meetings: tuple[str, ...]) -> None:
        """Against a --server: fetch the state views the next check reads."""
        if self.sim is not None:
            return
        for meeting in meetings:
            try:
                self._cache[meeting] = await self.host.state(meeting)
            except SimControlError as exc:
                self._cache[meeting] = Missing(f"GET /sim/meetings/{meeting}: {exc}")

    async def last_sim_state(self) -> Mapping[str, Any] | None:
        """The current meeting's state view for the report (None when unavailable)."""
        await self.refresh((self.current,))
        state = self._state(self.current)
        return None if isinstance(state, Missing) else state
