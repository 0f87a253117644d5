"""The orchestrator: device, join, lobby keep-alive, admit, promotion, captions, leave.

It owns the newest locus view and derives, from it alone, one desired state per channel; the
channels' reconcilers do all socket work. Every join starts a new generation and every leave
ends it; token fetches, registrations and sockets carry the generation they were started for,
so nothing of a left meeting can land (ARCHITECTURE.md rules 3 and 4).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.core import protocol as p
from app.core.backoff import Backoff
from app.core.captions import CaptionsState, placement
from app.core.channel import Channel, CommandError, Desired
from app.core.device import DeviceMixin, JoinError
from app.core.events import (
    ChannelName,
    ChannelState,
    EventKind,
    Hub,
    MeetingSnapshot,
    PhaseMark,
    TokenSnapshot,
)
from app.core.http import Http, HttpError, check_url, make_client
from app.core.keepalive import LobbyKeepAlive
from app.core.leaves import PendingLeaves
from app.core.locus import (
    DEFAULT_TOKEN,
    PRACTICE_TOKEN,
    TOKEN_TYPES,
    MeetingView,
    Phase,
    badge,
    derive_view,
)
from app.core.locus_api import LocusApi
from app.core.membership import Membership
from app.core.ping_coordinator import PingCoordinator
from app.core.reporting import Reporting
from app.core.settings import SDK, Settings
from app.core.tokens import StaleTokenError, TokenError, TokenSlot, TokenStore
from app.core.transport import TransportPolicy

CredentialsRefresh = Callable[[], Awaitable[str]]  # answers a fresh user token

__all__ = ["CommandError", "JoinError", "MeetingClient"]


class MeetingClient(DeviceMixin, Membership, Reporting):
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
        credentials_refresh: CredentialsRefresh | None = None,
    ) -> None:
        """`verify`: check server certificates (default; a string is taken as `ca_file`).
        `ca_file`: PEM CA bundle to trust (a private CA). `allow_insecure`: permit plain
        http:// and ws:// to hosts that are not loopback (refused by default).
        ValueError (InsecureTransportError, a bad URL or CA file) before any connection.
        `credentials_refresh`: where a fresh user token comes from (handshake 4401)."""
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
        self.pings = PingCoordinator(settings.ping_hold_max, settings.ping_gap)
        self.user_token = user_token
        self.display_name = display_name
        self.device_name = device_name
        self.hub = Hub()
        self.tokens = TokenStore(settings.token_expiry_margin, on_change=self._token_changed)
        self._token_memo: dict[str, tuple[TokenSlot | None, tuple[str, bool], TokenSnapshot]] = {}
        self._client = make_client(settings.http_timeout, self.ssl_context)
        self.http = Http(
            self._client,
            user_token,
            self._http_timing,
            self.transport,
            retry_delay=settings.locus_retry_delay,
            retry_max=settings.locus_retry_max,
            on_retry=self._http_retry,
        )
        self.api = LocusApi(self.http, settings, self.server)
        self._credentials_refresh = credentials_refresh
        self.device_url: str | None = None
        self.jwt_feature: bool | None = None  # developer/data-channel-with-jwt-token
        self._features_note: str | None = None
        self._captions = CaptionsState()
        self._voicea_seq = 0  # voicea's own counter, shared by announce and subscriptions
        self._correlation_id: str | None = None
        self._stale_loci = 0
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

    def voicea_seq(self) -> int:
        self._voicea_seq += 1
        return self._voicea_seq

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
            jwt_feature=self.jwt_feature,
            features_note=self._features_note,
            captions=self._captions.label,
            locus_sequence=v.sequence if v else None,
            stale_loci=self._stale_loci,
        )

    def _badge(self) -> str:
        return badge(self._view, self._meeting_id is not None, self._left)

    def _token_snapshot(self, kind: str) -> TokenSnapshot:
        result, ok = self._token_results.get(kind, ("not issued", True))
        slot = self.tokens.get(kind)
        # perf: a snapshot is built 20 times in an admit; the token part rarely changes
        memo = self._token_memo.get(kind)
        if memo is not None and memo[0] is slot and memo[1] == (result, ok):
            return memo[2]
        snap = TokenSnapshot.of(kind, slot, result, ok)
        self._token_memo[kind] = (slot, (result, ok), snap)
        return snap

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
        label = self._badge()
        if label != (self._timeline[-1].label if self._timeline else None):
            self._mark(label)
        self._keep_alive.update(view, self._generation)
        self._reconcile()
        self._publish()

    def _revoke_if_held(self, kind: str, why: str) -> None:
        self.tokens.invalidate(kind, why)

    def _reconcile(self) -> None:
        """Desired state per data channel, from the newest view alone."""
        v, g = self._view, self._generation
        live = v is not None and not self._left and v.phase is Phase.JOINED
        jwt = self.jwt_feature is not False
        default_ch = self.channels[ChannelName.DEFAULT]
        practice_ch = self.channels[ChannelName.PRACTICE]
        practice_online = practice_ch.snapshot.state is ChannelState.ONLINE
        captions = self._captions.on_in(g)
        place = placement(captions, self.settings.subchannels, practice_online)
        default = None
        if live and v is not None and v.datachannel_url:
            default = Desired(
                g,
                v.datachannel_url,
                DEFAULT_TOKEN,
                place.default,
                jwt=jwt,
                announce=captions and place.publish is ChannelName.DEFAULT,
            )
        default_ch.set_desired(default)
        practice = None
        if live and v is not None and v.practice_eligible and v.practice_url:
            default_online = default_ch.snapshot.state is ChannelState.ONLINE
            # only a *new* practice connect waits for the default; an online one is kept
            same = practice_ch.desired is not None and practice_ch.desired.url == v.practice_url
            practice = Desired(
                g,
                v.practice_url,
                PRACTICE_TOKEN,
                place.practice,
                ready=default is not None and (default_online or (practice_online and same)),
                waiting_for="waiting for the default channel to be online",
                jwt=jwt,
                announce=captions and place.publish is ChannelName.PRACTICE,
            )
        practice_ch.set_desired(practice)

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
        held = self._view.sequence
        if held is not None and view.sequence is not None and view.sequence < held:
            # older than the one held (locus-info/parser.ts: USE_CURRENT): not applied
            self._stale_loci += 1
            self._emit(
                "meeting",
                EventKind.LOCUS,
                f"ignored an older locus from {source} (sequence {view.sequence} < {held})",
                sequence=view.sequence,
                held=held,
                source=source,
            )
            self._publish()
            return
        self._apply(view)

    async def _resync(self, generation: int) -> None:
        view = self._view
        if view is None or self._left:
            return
        try:
            result = await self.api.resync(view.locus_url)
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
        try:
            token, result = await self.api.token(view, token_type)
        except (HttpError, p.ProtocolError) as exc:
            self._token_results[token_type] = (f"failed: {exc}", False)
            self._publish()
            raise TokenError(f"{token_type} token: {exc}") from None
        self._token_results[token_type] = (f"ok in {result.ms:.0f} ms", True)
        return token

    def counters_changed(self) -> None:
        self._publish()

    def channel_changed(self, name: ChannelName, online_changed: bool = True) -> None:
        if name is not ChannelName.DEVICE and online_changed:
            # the practice channel's prerequisite, or the publish transport, may have changed:
            # `_reconcile` reads only whether each data channel is online (fetching ->
            # registering -> connecting changes nothing it reads)
            self._reconcile()
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
        elif name is ChannelName.DEFAULT and generation == self._generation and not self._left:
            if self.settings.captions and self._captions.wanted_in(generation):
                self._spawn(self._turn_on_captions(generation))

    def datachannel_url_gone(self, name: ChannelName) -> None:
        """A registration answered 404: its datachannel URL is stale (rotated while the
        device socket missed the push). The locus names the current one: fetch it."""
        if self._view is not None and not self._left:
            self._emit(name.value, EventKind.STATE, "datachannel URL gone (404): resyncing locus")
            self._spawn(self._resync(self._generation))

    async def _turn_on_captions(self, generation: int) -> None:
        """voicea.ts `requestTurnOnCaptions`: PUT controls, then announce and subscribe on
        the publish transport (the reconciler places both)."""
        view = self._view
        if view is None:
            return
        self._captions.requesting(generation)
        self._publish()
        try:
            await self.api.captions_on(view.locus_url)
        except HttpError as exc:
            self._captions.done(generation, False, str(exc))
            if generation == self._generation:
                self._error("meeting", f"captions could not be turned on: {exc}")
            return
        self._captions.done(generation, True)
        if generation != self._generation or self._left:
            return
        self._emit("meeting", EventKind.CAPTIONS, "captions turned on (PUT controls)")
        self._reconcile()
        # announce and subscribe from this task, as voicea.ts does right after the PUT (a
        # spawned send would wait behind everything else the loop has ready)
        for name in (ChannelName.DEFAULT, ChannelName.PRACTICE):
            await self.channels[name].sync_subs_now()
        self._publish()

    def _keep_alive_sent(self, count: int) -> None:
        self._emit("meeting", EventKind.KEEPALIVE, f"keep-alive {count}")
        self._publish()

    def _keep_alive_failed(self, message: str) -> None:
        self._error("meeting", message)

    # -- helpers -------------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
