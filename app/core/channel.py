"""One channel's reconciler: the only code that opens, closes or talks on that channel's socket.

The meeting sets a *desired state* (URL, token type, generation, subscriptions, whether the
prerequisites hold). One long-lived task compares desired with actual and takes one step at a
time. A step runs as a sub-task that is cancelled the moment the desired state moves to another
key, so stale work cannot land: a registration or socket started for an old URL or meeting
generation is closed, never adopted. Nobody else touches the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from app.core import answers, close_codes
from app.core import protocol as p
from app.core.backoff import Backoff
from app.core.channel_register import ChannelRegistration
from app.core.connection import ConnectFailed, Connection, ConnectRefused, Listener, Outcome
from app.core.desired import DROP_CLOSE, ChannelHost, CommandError, Desired, Failure
from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CloseInfo,
    EventKind,
    evolve,
)
from app.core.http import HttpError
from app.core.registration import RegistrationRefused
from app.core.reports import ChannelReports
from app.core.switchover import Switchover
from app.core.tap import Tap
from app.core.tokens import TokenError
from app.core.voicea import VoiceaSync

_NO_FIELD = object()


class Channel(ChannelReports, ChannelRegistration, Switchover, VoiceaSync, Listener):
    def __init__(self, name: ChannelName, host: ChannelHost) -> None:
        self.name = name
        self._label = name.value  # perf: an enum's .value is a descriptor call, per event
        self._host = host
        s = host.settings
        self._backoff = Backoff(s.backoff_reset, s.backoff_max, s.backoff_factor, s.max_retries)
        self._snap = ChannelSnapshot(name)
        self._frames = (0, 0)  # plain ints per frame; folded into the snapshot when read
        self._desired: Desired | None = None
        self._serving: Desired | None = None  # what the running attempt was started for
        self._wake = asyncio.Event()
        self._restart = False
        self._halted: tuple[int, str, str | None] | None = None
        self._registration: tuple[tuple[int, str, str | None], answers.Registration] | None = None
        self._online_keys: set[tuple[int, str, str | None]] = set()
        self._conn: Connection | None = None
        self._run_task: asyncio.Task[Outcome] | None = None  # the active socket's reader
        self._switched = asyncio.Event()  # a switchover made another socket the active one
        self._reader_done = asyncio.Event()  # a socket reader of this channel has ended
        self._replacement: Connection | None = None  # being opened after a shutdown frame
        self._retired: set[Connection] = set()  # switched away from; the server closes them
        self._ws_url: str | None = None
        self._replacement_run: asyncio.Task[Outcome] | None = None
        self._requested: tuple[str, ...] = ()  # subscriptions asked for on this socket
        self._announced = False
        self._refresh: close_codes.CloseAction | None = (
            None  # handshake rule to act on before retrying
        )
        self._side: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()  # set once it has settled on "not wanted": no socket open
        self._idle.set()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is not None:
            return  # one reconciler per channel, ever
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"ch-{self.name}")

    async def stop(self) -> None:
        self._desired = None
        for task in list(self._side):
            task.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._set(ChannelState.OFFLINE, detail="stopped", online_since=None, next_retry_at=None)

    @property
    def desired(self) -> Desired | None:
        return self._desired

    def set_desired(self, desired: Desired | None) -> None:
        if desired == self._desired:
            return
        self._desired = desired
        if desired is not None:
            self._idle.clear()
        self._wake.set()

    async def wait_idle(self, timeout: float) -> None:
        """After desired went to None: wait until the reconciler has closed and settled."""
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    # -- commands ---------------------------------------------------------------------------
    def reconnect(self) -> None:
        self._restart = True
        self._halted = None
        self._emit(EventKind.COMMAND, "reconnect requested")
        self._wake.set()

    def drop(self, how: str) -> None:
        conn = self._online_connection("drop")
        self._emit(EventKind.COMMAND, f"client-side {how} requested", how=how)
        if how == "reset":
            conn.reset()
        elif how == "halfopen":
            conn.half_open()
        elif how == "close":
            self._spawn(conn.close(*DROP_CLOSE))
        else:
            raise CommandError(f"unknown drop {how!r}: use close, reset or halfopen")

    def resubscribe(self) -> None:
        self._online_connection("resubscribe")
        self._requested = ()  # ask again for everything this socket should have
        self._sync_subs(force=True)

    def _online_connection(self, what: str) -> Connection:
        conn = self._conn
        if conn is None or not conn.online:
            raise CommandError(f"cannot {what} {self.name}: it is not online")
        return conn

    # -- the reconciler -------------------------------------------------------------------
    async def _run(self) -> None:
        attempt = 0
        retry_at: float | None = None
        while True:
            d = self._desired
            if d is None or not d.ready:
                attempt, retry_at, self._registration = 0, None, None
                # not wanted (or waiting) ends a halt: being wanted again, even for the same
                # key, is the next eligible moment (SCENARIOS P6), not the old refusal
                self._halted = None
                state = ChannelState.OFFLINE if d is None else ChannelState.WAITING
                detail = "not wanted" if d is None else d.waiting_for
                self._set(state, detail=detail, online_since=None, next_retry_at=None, attempt=0)
                self._set_subs(d)
                if d is None:
                    self._idle.set()
                await self._sleep_until_woken()
                continue
            if self._restart:
                self._restart, attempt, retry_at = False, 0, None
            if self._halted == d.key:
                await self._sleep_until_woken()
                continue
            self._halted = None
            self._set_subs(d)
            if retry_at is not None and retry_at > time.monotonic():
                if await self._sleep_until_woken(retry_at - time.monotonic()):
                    if self._desired is None or self._desired.key != d.key or self._restart:
                        attempt, retry_at = 0, None
                    continue
            retry_at = None
            result = await self._attempt(d)
            if result is None:  # desired moved on, or a restart: start over from the top
                if self._desired is None or self._desired.key != d.key:
                    attempt = 0
                continue
            if isinstance(result, Failure):
                self._set(ChannelState.ERROR, detail=result.message, last_error=result.message)
                self._emit(EventKind.ERROR, result.message, retry=result.retry)
                if not result.retry:
                    self._halted, attempt = d.key, 0
                    continue
                attempt += 1
            else:
                attempt = self._closed(d, result, attempt)
                if attempt == 0:
                    continue
            delay = self._backoff.delay(attempt)
            if delay is None:
                message = f"gave up after {attempt - 1} retries (retry cap reached)"
                self._set(ChannelState.ERROR, detail=message, last_error=message)
                self._emit(EventKind.ERROR, message)
                self._halted, attempt = d.key, 0
                continue
            retry_at = time.monotonic() + delay
            self._set(
                ChannelState.RECONNECTING,
                detail=f"attempt {attempt} in {delay:g} s",
                attempt=attempt,
                next_retry_at=retry_at,
                online_since=None,
            )
            self._emit(
                EventKind.RETRY, f"retry {attempt} in {delay:g} s", attempt=attempt, delay=delay
            )

    def _closed(self, d: Desired, outcome: Outcome, attempt: int) -> int:
        """Record a close; return the next attempt number, or 0 to stay offline."""
        decision = outcome.decision
        info = CloseInfo(
            outcome.code, outcome.reason, decision.meaning, decision.action.value, time.monotonic()
        )
        self._set(last_close=info, online_since=None, confirmed=())
        who = "client" if outcome.by_client else "server"
        self._emit(
            EventKind.CLOSED,
            f"closed {outcome.code} {outcome.reason!r} by {who}: {decision.meaning} -> "
            f"{decision.action.value}",
            code=outcome.code,
            reason=outcome.reason,
            meaning=decision.meaning,
            action=decision.action.value,
            by_client=outcome.by_client,
        )
        if decision.action in (
            close_codes.CloseAction.REFRESH_AUTH,
            close_codes.CloseAction.REFRESH_DEVICE,
        ):
            self._refresh = decision.action  # acted on before the next attempt
        if decision.action.reconnects:
            return 1 if outcome.online else attempt + 1
        self._halted = d.key
        state = {
            close_codes.CloseAction.REPLACED: ChannelState.REPLACED,
            close_codes.CloseAction.GIVE_UP: ChannelState.ERROR,
        }.get(decision.action, ChannelState.CLOSED)
        self._set(state, detail=decision.meaning, attempt=0, next_retry_at=None)
        return 0

    async def _sleep_until_woken(self, timeout: float | None = None) -> bool:
        """Wait for a change of desired state or a command; True if woken, False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            return False
        self._wake.clear()
        return True

    async def _attempt(self, d: Desired) -> Outcome | Failure | None:
        """Run one attempt, cancelling it as soon as the desired key changes."""
        self._serving = d
        session = asyncio.get_running_loop().create_task(self._session(d), name=f"{self.name}-at")
        # the session's end wakes the reconciler through the event a change of desired state
        # sets (perf: no waker task and no asyncio.wait per wake-up); a late or extra wake is
        # harmless, every waiter looks again at what woke it
        session.add_done_callback(self._session_ended)
        try:
            while True:
                await self._wake.wait()
                if session.done():
                    if self._desired is d and not self._restart:
                        self._wake.clear()  # nothing but the session's end woke it
                    return session.result()
                self._wake.clear()
                now = self._desired
                if self._restart or now is None or now.key != d.key or not now.ready:
                    return None
                self._serving = d = now  # same socket, newer details (e.g. subscriptions)
                self._set_subs(d)
                self._sync_subs()
        finally:
            if not session.done():
                session.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await session
            self._serving = None

    def _session_ended(self, _session: asyncio.Task[Outcome | Failure]) -> None:
        self._wake.set()

    async def _session(self, d: Desired) -> Outcome | Failure:
        conn: Connection | None = None
        try:
            await self._act_on_refresh()
            if d.token_type is None:
                ws_url = d.url
            else:
                ws_url = (await self._registered(d)).web_socket_url
            self._set(ChannelState.CONNECTING, detail="opening socket")
            conn = self._connection()
            try:
                await conn.open(ws_url, d.jwt)
            except ConnectRefused as exc:
                if exc.status != 404 or d.token_type is None:
                    raise
                self._registration = None  # the URL expired: register again, then connect
                self._emit(EventKind.STATE, "socket URL no longer valid (404): registering again")
                ws_url = (await self._registered(d)).web_socket_url
                self._set(ChannelState.CONNECTING, detail="opening socket")
                await conn.open(ws_url, d.jwt)
            self._conn, self._ws_url = conn, ws_url
            self._requested, self._announced = (), False
            return await self._serve(conn)
        except RegistrationRefused as exc:
            return Failure(str(exc), retry=False)
        except (HttpError, TokenError, p.ProtocolError, ConnectFailed, ConnectRefused) as exc:
            if isinstance(exc, HttpError) and exc.what == "register" and exc.status == 404:
                self._host.datachannel_url_gone(self.name)  # learn the new URL from locus
            return Failure(str(exc), retry=True)
        finally:
            # side tasks (subscribe, drop) end on their own once their socket closes
            active, self._conn, self._run_task = self._conn, None, None
            replacement, self._replacement = self._replacement, None
            others = {c for c in (conn, active, replacement) if c is not None}
            for c in others | self._retired:
                await c.close(*close_codes.CLIENT_DONE)
            self._retired.clear()
            self._set(switchover=None)

    async def _serve(self, conn: Connection) -> Outcome:
        """Serve the active socket until it closes; a switchover hands over to another (it
        makes the replacement's reader `_run_task` and hooks `_reader_ended` on it)."""
        self._run_task = asyncio.get_running_loop().create_task(conn.run(), name="socket")
        self._run_task.add_done_callback(self._reader_ended)
        # perf: woken by a reader's end, not by a waker task and asyncio.wait; an old
        # (switched-away) reader's end wakes it too, and it goes back to waiting
        while not self._run_task.done():
            await self._reader_done.wait()
            self._reader_done.clear()
        return self._run_task.result()

    def _reader_ended(self, _reader: asyncio.Task[Outcome]) -> None:
        self._reader_done.set()

    def _connection(self) -> Connection:
        h = self._host
        tap = Tap(self)
        conn = Connection(h.settings, h.user_token, tap, h.transport, h.ssl_context, h.pings)
        tap.conn = conn
        return conn

    # -- what it shows ----------------------------------------------------------------------
    @property
    def snapshot(self) -> ChannelSnapshot:
        snap = self._snap
        if (snap.frames_in, snap.frames_out) != self._frames:
            snap = self._snap = evolve(snap, frames_in=self._frames[0], frames_out=self._frames[1])
        return snap

    # -- small helpers --------------------------------------------------------------------
    def _set(self, state: ChannelState | None = None, **changes: Any) -> None:
        if state is not None:
            changes["state"] = state
        d = self._desired
        snap = self._snap
        changes.setdefault("generation", d.generation if d else snap.generation)
        if (snap.frames_in, snap.frames_out) != self._frames:  # folded into this one copy
            changes.setdefault("frames_in", self._frames[0])
            changes.setdefault("frames_out", self._frames[1])
        # perf: most calls change nothing; comparing the fields given is ~10x cheaper than
        # building a new snapshot and comparing all thirty
        fields = snap.__dict__
        for k, v in changes.items():
            if fields.get(k, _NO_FIELD) != v:  # an unknown name: evolve() raises TypeError
                break
        else:
            return
        old_state = snap.state
        self._snap = evolve(snap, **changes)
        if state is None or state is old_state:
            self._host.channel_changed(self.name, False)
            return
        self._emit(EventKind.STATE, f"{old_state.value} -> {state.value}", state=state.value)
        online = ChannelState.ONLINE
        self._host.channel_changed(self.name, (old_state is online) is not (state is online))

    def _set_subs(self, d: Desired | None) -> None:
        subs = d.subscriptions if d and d.jwt else ()
        self._set(subscriptions=subs, publish_transport=bool(d and d.announce))

    def _emit(self, kind: EventKind, summary: str, **data: Any) -> None:
        d = self._serving or self._desired
        generation = d.generation if d else self.snapshot.generation
        self._host.emit(self._label, generation, kind, summary, **data)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._side.add(task)
        task.add_done_callback(self._side.discard)
