"""The orchestrator: device, join, lobby keep-alive, admit, promotion, leave.

It owns the newest locus view and derives, from it alone, one desired state per channel; the
channels' reconcilers do all socket work. Every join starts a new generation and every leave
ends it; token fetches, registrations and sockets carry the generation they were started for,
so nothing of a left meeting can land (ARCHITECTURE.md rules 3 and 4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from typing import Any

from app.core import protocol as p
from app.core.backoff import Backoff
from app.core.channel import Channel, CommandError, Desired
from app.core.events import (
    ChannelName,
    ChannelState,
    CoreEvent,
    EventKind,
    Hub,
    MeetingSnapshot,
    PhaseMark,
    TokenSnapshot,
)
from app.core.http import Http, HttpError, check_url, make_client
from app.core.keepalive import LobbyKeepAlive
from app.core.leaves import GONE, PendingLeaves, worth_retrying
from app.core.locus import (
    DEFAULT_TOKEN,
    PRACTICE_TOKEN,
    TOKEN_TYPES,
    MeetingView,
    Phase,
    badge,
    derive_view,
)
from app.core.settings import SDK, Settings
from app.core.tokens import StaleTokenError, TokenError, TokenSlot, TokenStore, mask
from app.core.transport import TransportPolicy

log = logging.getLogger("app.core")

__all__ = ["CommandError", "JoinError", "MeetingClient"]


class JoinError(Exception):
    """Joining (or registering the device) failed; the message is for the user."""


class MeetingClient:
    def __init__(
        self,
        server: str,
        user_token: str,
        settings: Settings = SDK,
        display_name: str = "dcmon",
        device_name: str = "dcmon",
        verify: bool | str = True,
        ca_file: str | None = None,
        allow_insecure: bool = False,
    ) -> None:
        """`verify`: check server certificates (default; a string is taken as `ca_file`).
        `ca_file`: PEM CA bundle to trust (a private CA). `allow_insecure`: permit plain
        http:// and ws:// to hosts that are not loopback (refused by default).
        ValueError (InsecureTransportError, a bad URL or CA file) before any connection."""
        self.server = check_url(server)
        if not user_token:
            raise ValueError("a user token is needed (any non-empty string for the simulator)")
        if isinstance(verify, str):
            verify, ca_file = True, verify
        self.transport = TransportPolicy(bool(verify), ca_file, allow_insecure)
        self.transport.check(self.server)
        try:
            self.ssl_context = self.transport.ssl_context()
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"CA file {ca_file!r} cannot be used: {exc}") from None
        self.settings = settings
        self.user_token = user_token
        self.display_name = display_name
        self.device_name = device_name
        self.hub = Hub()
        self.tokens = TokenStore(settings.token_expiry_margin, on_change=self._token_changed)
        self._client = make_client(settings.http_timeout, self.ssl_context)
        self.http = Http(self._client, user_token, self._http_timing, self.transport)
        self.device_url: str | None = None
        self.channels = {name: Channel(name, self) for name in ChannelName}
        self._t0 = time.monotonic()
        self._seq = 0
        self._generation = 0
        self._meeting_id: str | None = None
        self._view: MeetingView | None = None
        self._left = False
        self._admitted_in: int | None = None  # generation in which "admitted" already fired
        self._timeline: list[PhaseMark] = []
        self._token_results: dict[str, tuple[str, bool]] = {}
        self._keep_alive = LobbyKeepAlive(self.http, self._keep_alive_sent, self._keep_alive_failed)
        backoff = Backoff(settings.backoff_reset, settings.backoff_max, settings.backoff_factor)
        self._leaves = PendingLeaves(self.http, backoff, self._leave_confirmed, self._leave_failed)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_error: str | None = None
        self._publish_pending = False
        self._started = False
        self._starting: asyncio.Task[None] | None = None
        self._teardown: asyncio.Task[None] | None = None  # the last leave's, awaited by joins
        self._joining_push: tuple[int, Any] | None = None  # a locus pushed during a join
        self._closed = False
        self._device_online = asyncio.Event()

    def __repr__(self) -> str:  # never the user token
        return (
            f"MeetingClient({self.server}, meeting={self._meeting_id!r}, "
            f"generation={self._generation}, badge={self._badge()!r})"
        )

    # -- commands ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Register the device and bring up the device socket.

        Single-flight: concurrent callers (a second join while the first is still starting)
        share one attempt, so there is only ever one device and one reconciler per channel.
        """
        if self._started:
            return
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start(), name="start")
        starting = self._starting
        try:
            await asyncio.shield(starting)
        finally:
            if starting.done() and self._starting is starting:
                self._starting = None  # done, or failed: the next call starts afresh
                if not starting.cancelled():
                    starting.exception()  # retrieved here, raised to every caller above

    async def _start(self) -> None:
        if self._started:
            return
        try:
            result = await self.http.call(
                "device",
                "POST",
                self.server + self.settings.endpoints.device,
                body={"name": self.device_name},
            )
            device = p.parse_device_answer(result.body)
        except (HttpError, p.ProtocolError) as exc:
            message = f"could not register the device at {self.server}: {exc}"
            self._error("meeting", message)
            raise JoinError(message) from None
        self.device_url = device.url
        self._started = True
        for channel in self.channels.values():
            channel.start()
        self.channels[ChannelName.DEVICE].set_desired(Desired(0, device.web_socket_url, None))
        self._emit("meeting", EventKind.STATE, "device registered", ms=result.ms)
        self._publish()
        # like the SDK: the device socket first, so no locus push is missed after join
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await self._device_online.wait()
        except TimeoutError:
            self._error("device", "device socket not online yet; joining anyway (will resync)")

    async def join(self, meeting_id: str, display_name: str | None = None) -> None:
        await self.start()
        await self.leave()  # ends the current generation, or waits for its teardown to finish
        self._generation += 1
        generation = self._generation
        self._meeting_id, self._view, self._left = meeting_id, None, False
        self._timeline = []
        self._mark("Joining")
        url = self.server + self.settings.endpoints.join.format(meeting_id=meeting_id)
        body = {"deviceUrl": self.device_url, "displayName": display_name or self.display_name}
        try:
            result = await self.http.call("join", "POST", url, body=body)
            locus = result.body.get("locus") if isinstance(result.body, dict) else None
            view = derive_view(locus, self.device_url or "")
        except (HttpError, p.ProtocolError) as exc:
            if generation == self._generation:
                self._left = True
                self._mark("Not joined")
            message = f"could not join {meeting_id!r}: {exc}"
            self._error("meeting", message)
            # no answer (timed out, connection lost): the server may have acted anyway; if
            # its push told us so, that participant is left, not kept as a ghost
            await self._abandon_pushed(generation)
            raise JoinError(message) from None
        pushed = self._take_joining_push(generation)  # never another join's
        if generation != self._generation:  # left (or switched) while the join was in flight
            # The answer belongs to an ended generation: adopt nothing of it, and undo what
            # it created on the server (a participant nobody would ever leave otherwise).
            await self._abandon(view)
            raise JoinError(f"join of {meeting_id!r} was superseded")
        self._emit("meeting", EventKind.HTTP, f"joined in {result.ms:.0f} ms", what="join")
        for kind, token in view.tokens.items():
            self.tokens.put(self.tokens.ticket(kind), token, "join response")
        self._apply(view)
        if pushed is not None:
            # The server computed the answer when it created the participant; whatever it
            # pushed about that participant since (e.g. admitted meanwhile) is newer.
            self._apply_locus(pushed[1], "device socket (pushed during the join)")

    async def leave(self) -> None:
        """End the meeting generation: drop its tokens, close its sockets, then tell locus.

        The generation ends at once (synchronously: nothing started for it can land from
        here on); its teardown (sockets closed, the server told) runs to completion even if
        this caller is cancelled, and every caller, as well as the next join, waits for it,
        so two generations never overlap.
        """
        if self._meeting_id is not None and not self._left:
            view, self._left = self._view, True
            self._generation += 1  # everything started for the old generation is stale now
            self.tokens.invalidate_all("left the meeting")
            self._keep_alive.stop()
            for name in (ChannelName.PRACTICE, ChannelName.DEFAULT):
                self.channels[name].set_desired(None)
            self._teardown = asyncio.get_running_loop().create_task(
                self._finish_leave(view), name="leave"
            )
        teardown = self._teardown
        if teardown is not None:
            await asyncio.shield(teardown)

    async def _finish_leave(self, view: MeetingView | None) -> None:
        for name in (ChannelName.PRACTICE, ChannelName.DEFAULT):
            with contextlib.suppress(TimeoutError):
                await self.channels[name].wait_idle(self.settings.close_timeout + 1)
        if view is not None and view.participant_id is not None:
            url = self.settings.endpoints.leave.format(
                locus_url=view.locus_url, participant_id=view.participant_id
            )
            try:
                await self.http.call("leave", "PUT", url, body={"deviceUrl": self.device_url})
            except HttpError as exc:
                self._leave_unconfirmed(url, exc)
        self._mark("Left")
        self._emit("meeting", EventKind.PHASE, "left the meeting")
        self._publish()

    def _take_joining_push(self, generation: int) -> Any:
        """The locus pushed while the join of `generation` was in flight, if any."""
        pushed = self._joining_push
        if pushed is None or pushed[0] != generation:
            return None
        self._joining_push = None
        return pushed

    async def _abandon_pushed(self, generation: int) -> None:
        pushed = self._take_joining_push(generation)
        if pushed is None:
            return
        try:
            view = derive_view(pushed[1], self.device_url or "")
        except p.ProtocolError:
            return
        if view.phase in (Phase.LOBBY, Phase.JOINED):
            await self._abandon(view)

    async def _abandon(self, view: MeetingView) -> None:
        """Leave the participant a superseded join created (its answer arrived too late)."""
        if view.participant_id is None or view.phase is Phase.LEFT:
            return
        url = self.settings.endpoints.leave.format(
            locus_url=view.locus_url, participant_id=view.participant_id
        )
        try:
            await self.http.call("leave", "PUT", url, body={"deviceUrl": self.device_url})
        except HttpError as exc:
            self._leave_unconfirmed(url, exc)
            return
        self._emit("meeting", EventKind.STATE, "left the participant of a superseded join")

    async def close(self) -> None:
        """Leave if joined and stop every task and socket. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._starting is not None:
            self._starting.cancel()
            with contextlib.suppress(BaseException):
                await self._starting
        with contextlib.suppress(Exception):
            await self.leave()
        await self._leaves.stop()
        self._keep_alive.stop()
        for task in list(self._tasks):
            task.cancel()
        for channel in self.channels.values():
            await channel.stop()
        await self._client.aclose()

    def drop(self, channel: ChannelName | str, how: str) -> None:
        self.channels[ChannelName(channel)].drop(how)

    def reconnect(self, channel: ChannelName | str) -> None:
        self.channels[ChannelName(channel)].reconnect()

    def resubscribe(self, channel: ChannelName | str) -> None:
        self.channels[ChannelName(channel)].resubscribe()

    async def refresh_token(self, token_type: str) -> TokenSlot:
        if token_type not in TOKEN_TYPES:
            raise CommandError(f"unknown token type {token_type!r}")
        if self._left or self._view is None:
            raise CommandError(f"cannot refresh the {token_type} token: not in a meeting")
        generation = self._generation
        return await self.tokens.obtain(
            token_type, lambda: self.fetch_token(token_type, generation), force=True
        )

    # -- snapshot -----------------------------------------------------------------------------
    @property
    def snapshot(self) -> MeetingSnapshot:
        v = self._view
        phase = (
            Phase.LEFT if self._left and self._meeting_id else (v.phase if v else Phase.NOT_JOINED)
        )
        return MeetingSnapshot(
            server=self.server,
            profile=self.settings.profile,
            meeting_id=self._meeting_id,
            generation=self._generation,
            phase=phase,
            badge=self._badge(),
            roles=tuple(sorted(v.roles)) if v else (),
            practice_enabled=bool(v and v.practice_enabled),
            participant_id=v.participant_id if v else None,
            locus_url=v.locus_url if v else None,
            device_url=self.device_url,
            keep_alives=self._keep_alive.sent,
            timeline=tuple(self._timeline),
            tokens={kind: self._token_snapshot(kind) for kind in TOKEN_TYPES},
            channels={name: ch.snapshot for name, ch in self.channels.items()},
            last_error=self._last_error,
        )

    def _badge(self) -> str:
        return badge(self._view, self._meeting_id is not None, self._left)

    def _token_snapshot(self, kind: str) -> TokenSnapshot:
        result, ok = self._token_results.get(kind, ("not issued", True))
        return TokenSnapshot.of(kind, self.tokens.get(kind), result, ok)

    # -- the locus view and what follows from it -------------------------------------------
    def _apply(self, view: MeetingView) -> None:
        before = self._view
        self._view = view
        if before is None or before.phase is not view.phase:
            self._emit("meeting", EventKind.PHASE, f"phase {view.phase.value}")
        if (
            before is not None
            and before.phase is Phase.LOBBY
            and view.phase is Phase.JOINED
            and self._admitted_in != self._generation
        ):
            self._admitted_in = self._generation
            self._emit("meeting", EventKind.ADMITTED, "admitted from the lobby")
        if before is not None and before.roles != view.roles:
            self._emit("meeting", EventKind.ROLES, f"roles {view.role_label}")
        if before is not None and before.practice_enabled != view.practice_enabled:
            state = "started" if view.practice_enabled else "ended"
            self._emit("meeting", EventKind.PHASE, f"practice session {state}")
        # losing the right to a token type ends that slot's epoch (a late fetch is dropped)
        if view.phase is not Phase.JOINED:
            self._revoke_if_held(DEFAULT_TOKEN, "not admitted")
        if not (view.phase is Phase.JOINED and view.panelist and view.practice_enabled):
            self._revoke_if_held(PRACTICE_TOKEN, "not a panelist in a practice session")
        if self._badge() != (self._timeline[-1].label if self._timeline else None):
            self._mark(self._badge())
        self._keep_alive.update(view, self._generation)
        self._reconcile()
        self._publish()

    def _revoke_if_held(self, kind: str, why: str) -> None:
        self.tokens.invalidate(kind, why)

    def _reconcile(self) -> None:
        """Desired state per data channel, from the newest view alone."""
        v, g, subs = self._view, self._generation, self.settings.subchannels
        live = v is not None and not self._left and v.phase is Phase.JOINED
        default = None
        if live and v is not None and v.datachannel_url:
            default = Desired(g, v.datachannel_url, DEFAULT_TOKEN, subs)
        self.channels[ChannelName.DEFAULT].set_desired(default)
        practice = None
        if live and v is not None and v.practice_eligible and v.practice_url:
            default_online = (
                self.channels[ChannelName.DEFAULT].snapshot.state is ChannelState.ONLINE
            )
            practice = Desired(
                g,
                v.practice_url,
                PRACTICE_TOKEN,
                subs,
                ready=default is not None and default_online,
                waiting_for="waiting for the default channel to be online",
            )
        self.channels[ChannelName.PRACTICE].set_desired(practice)

    def _apply_locus(self, locus: Any, source: str) -> None:
        if self._meeting_id is not None and not self._left and self._view is None:
            # a push while our join is in flight: the join's answer decides; keep it in case
            # that answer never comes (timeout), to undo what the join did on the server
            self._joining_push = (self._generation, locus)
            return
        if self._meeting_id is None or self._left or self._view is None:
            return
        if not isinstance(locus, dict) or locus.get("url") != self._view.locus_url:
            return  # another meeting's locus (e.g. one we have left): not ours to act on
        me = locus.get("self")
        pid = me.get("id") if isinstance(me, dict) else None
        if pid is not None and self._view.participant_id not in (None, str(pid)):
            return  # the same meeting seen by an earlier participant of ours (a left one)
        try:
            view = derive_view(locus, self.device_url or "")
        except p.ProtocolError as exc:
            self._emit("meeting", EventKind.BAD_INPUT, f"ignored a locus from {source}: {exc}")
            return
        self._apply(view)

    async def _resync(self, generation: int) -> None:
        view = self._view
        if view is None or self._left:
            return
        try:
            result = await self.http.call("resync", "GET", view.locus_url)
        except HttpError as exc:
            self._error("meeting", f"locus resync failed: {exc}")
            return
        if generation == self._generation and isinstance(result.body, dict):
            self._apply_locus(result.body.get("locus"), "resync")

    # -- ChannelHost: what channels call (synchronous, except fetch_token) --------------------
    async def fetch_token(self, token_type: str, generation: int) -> str:
        view = self._view
        # only the live generation fetches: after leave() the generation number is the
        # "left" one, current but not live (its teardown may still be running)
        live = generation == self._generation and not self._left
        if not live or view is None or view.participant_id is None:
            raise StaleTokenError(f"{token_type}: the meeting it was for has ended")
        url = self.settings.endpoints.token.format(
            locus_url=view.locus_url, participant_id=view.participant_id
        )
        try:
            result = await self.http.call("token", "POST", url, body={"tokenType": token_type})
            answer = p.parse_token_answer(result.body)
        except (HttpError, p.ProtocolError) as exc:
            self._token_results[token_type] = (f"failed: {exc}", False)
            self._publish()
            raise TokenError(f"{token_type} token: {exc}") from None
        if answer.token_type is not None and answer.token_type != token_type:
            message = f"asked for {token_type}, got a {answer.token_type} token: not stored"
            self._token_results[token_type] = (message, False)
            raise TokenError(message)
        self._token_results[token_type] = (f"ok in {result.ms:.0f} ms", True)
        return answer.token

    def emit(
        self, channel: str, generation: int, kind: EventKind, summary: str, **data: Any
    ) -> None:
        self._seq += 1
        now = time.monotonic()
        event = CoreEvent(
            self._seq, now - self._t0, time.time(), generation, channel, kind, summary, data
        )
        if kind not in (EventKind.RTT, EventKind.TRANSCRIPT):
            log.debug("%s %s %s", channel, kind.value, summary)
        self.hub.emit(event)

    def counters_changed(self) -> None:
        self._publish()

    def channel_changed(self, name: ChannelName) -> None:
        if name is ChannelName.DEFAULT:
            self._reconcile()  # the practice channel's prerequisite may have changed
        self._publish()

    def channel_frame(self, name: ChannelName, generation: int, frame: p.Frame) -> None:
        if isinstance(frame, p.LocusDelta):
            self._apply_locus(frame.locus, f"{name.value} socket")

    def channel_online(self, name: ChannelName, generation: int, again: bool) -> None:
        if name is ChannelName.DEVICE:
            self._device_online.set()
            self._leaves.kick()  # the backend is back: unconfirmed leaves go out now
            if self._view is not None and not self._left:
                # pushes sent while the device socket was down are lost: fetch the locus
                self._spawn(self._resync(self._generation))

    def _leave_unconfirmed(self, url: str, exc: HttpError) -> None:
        if worth_retrying(exc.status):  # the server must still learn of it: keep trying
            self._leaves.add(url, self.device_url, str(exc))
        elif exc.status not in GONE:
            self._error("meeting", f"leave refused by the server (left locally): {exc}")

    def _leave_failed(self, url: str, message: str) -> None:
        self._error("meeting", f"leave request failed (left locally; retrying until the "
                    f"server confirms): {message}")  # fmt: skip

    def _leave_confirmed(self, url: str, attempts: int) -> None:
        what = f"leave confirmed by the server (attempt {attempts})"
        self._emit("meeting", EventKind.STATE, what)
        self._publish()

    def _keep_alive_sent(self, count: int) -> None:
        self._emit("meeting", EventKind.KEEPALIVE, f"keep-alive {count}")
        self._publish()

    def _keep_alive_failed(self, message: str) -> None:
        self._error("meeting", message)

    # -- helpers -------------------------------------------------------------------------------
    def _emit(self, channel: str, kind: EventKind, summary: str, **data: Any) -> None:
        self.emit(channel, self._generation, kind, summary, **data)

    def _error(self, channel: str, message: str) -> None:
        self._last_error = message
        self._emit(channel, EventKind.ERROR, message)
        self._publish()

    def _mark(self, label: str) -> None:
        self._timeline.append(PhaseMark(label, time.monotonic() - self._t0, time.time()))
        self._publish()

    def _token_changed(self, kind: str, slot: TokenSlot | None, what: str) -> None:
        if slot is None:
            self._emit("token", EventKind.TOKEN, f"{kind} {what}", token_type=kind)
        else:
            exp = f", exp in {slot.exp - time.time():.0f} s" if slot.exp else ""
            warn = f" (warning: {slot.decode_error})" if slot.decode_error else ""
            took = f" in {slot.fetch_ms:.0f} ms" if slot.fetch_ms is not None else ""
            self._emit(
                "token",
                EventKind.TOKEN,
                f"{kind} {what}{took} {mask(slot.token)}{exp}{warn}",
                token_type=kind,
                source=slot.source,
                masked=slot.masked,
                ms=slot.fetch_ms,
            )
        self._publish()

    def _http_timing(
        self, what: str, url: str, status: int | None, ms: float, err: str | None
    ) -> None:
        summary = f"{what} {status if status is not None else err} in {ms:.0f} ms"
        self._emit("http", EventKind.HTTP, summary, what=what, status=status, ms=ms, error=err)

    def _publish(self) -> None:
        """Coalesce snapshot publication to once per loop iteration."""
        if self._publish_pending:
            return
        self._publish_pending = True
        try:
            asyncio.get_running_loop().call_soon(self._publish_now)
        except RuntimeError:  # no running loop (constructed outside one): publish at once
            self._publish_now()

    def _publish_now(self) -> None:
        self._publish_pending = False
        self.hub.publish(self.snapshot)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
