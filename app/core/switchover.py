"""Shutdown switchover (make before break; PROTOCOL.md s. 4 step 8, mercury.js
`_handleImminentShutdown`): on a `shutdown` frame, open a replacement to the same
webSocketUrl, make it the active socket once online (subscriptions re-sent on it), and leave
the old one for the server to close with 4001. A mixin of `Channel`."""

from __future__ import annotations

import asyncio

from app.core import answers, close_codes
from app.core.connection import ConnectFailed, Connection, ConnectRefused, Outcome
from app.core.desired import ChannelHost, Desired
from app.core.events import ChannelName, ChannelSnapshot, EventKind


class Switchover:
    name: ChannelName
    _host: ChannelHost
    _conn: Connection | None
    _serving: Desired | None
    _desired: Desired | None
    _registration: tuple[tuple[int, str, str | None], answers.Registration] | None
    _requested: tuple[str, ...]
    _announced: bool
    _ws_url: str | None
    _replacement: Connection | None
    _replacement_run: asyncio.Task[Outcome] | None
    _retired: set[Connection]
    _run_task: asyncio.Task[Outcome] | None
    _switched: asyncio.Event

    snapshot: ChannelSnapshot

    def shutdown_frame(self, old: Connection) -> None:
        if self._replacement is not None or self._ws_url is None:
            return
        self._emit(EventKind.SWITCHOVER, "shutdown received: opening a replacement socket")
        self._set(switchover="opening replacement")
        new = self._connection()
        self._replacement = new
        self._spawn(self._switchover(old, new, self._ws_url))

    async def _switchover(self, old: Connection, new: Connection, ws_url: str) -> None:
        d = self._serving
        loop = asyncio.get_running_loop()
        why = ""
        self._switched.clear()  # the last switchover's promotion is not this one's
        try:
            await new.open(ws_url, d.jwt if d is not None else True)
            run = loop.create_task(new.run(), name="replacement")
            self._replacement_run = run
            promoted = loop.create_task(self._switched.wait())
            try:
                await asyncio.wait({run, promoted}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                promoted.cancel()
            if new is self._conn:
                return  # the active socket now: its reader is the session's business
            if run.done():
                outcome = run.result()
                why = f"closed {outcome.code} {outcome.reason!r} before online"
        except (ConnectFailed, ConnectRefused) as exc:
            why = str(exc)
        finally:
            if self._replacement is new:
                self._replacement = None
            self._replacement_run = None
        if new is self._conn or old is not self._conn:
            return
        self._set(switchover=None)
        self._emit(
            EventKind.SWITCHOVER,
            f"replacement failed ({why}): reconnecting with backoff once the old socket closes",
            failed=True,
        )
        await new.close(*close_codes.CLIENT_DONE)

    def _promote(self, new: Connection, connect_ms: float) -> None:
        old = self._conn
        run = self._replacement_run
        if old is None or run is None:
            return
        old.retired = True
        self._retired.add(old)
        old_task = self._run_task
        self._conn, self._run_task, self._replacement = new, run, None
        run.add_done_callback(self._reader_ended)  # the session now serves this reader
        self._switched.set()
        if old_task is not None:
            self._spawn(self._watch_retired(old, old_task))
        snap = self.snapshot
        self._set(
            switchovers=snap.switchovers + 1,
            switchover=None,
            connect_ms=connect_ms,
            confirmed=(),
            requested=(),
            announced=False,
        )
        self._requested, self._announced = (), False
        self._emit(
            EventKind.SWITCHOVER,
            f"replacement online in {connect_ms:.0f} ms; old socket left for the server to close",
            connect_ms=connect_ms,
        )
        self._sync_subs()

    async def _watch_retired(self, old: Connection, task: asyncio.Task[Outcome]) -> None:
        try:
            outcome = await task
        finally:
            self._retired.discard(old)
        d = outcome.decision
        self._emit(
            EventKind.CLOSED,
            f"old socket closed {outcome.code} {outcome.reason!r}: {d.meaning} -> {d.action.value}",
            code=outcome.code,
            reason=outcome.reason,
            meaning=d.meaning,
            action=d.action.value,
            by_client=outcome.by_client,
            retired=True,
        )
