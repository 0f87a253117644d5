"""Being in a meeting on the server: join (by locus URL, or by address after meetingInfo),
leave, and undoing what a superseded join created. Every join starts a generation and
every leave ends it. A mixin of `MeetingClient` (split out of meeting.py)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from app.core import answers
from app.core import protocol as p
from app.core.device import JoinError
from app.core.events import ChannelName, EventKind, PhaseMark
from app.core.http import HttpError
from app.core.keepalive import LobbyKeepAlive
from app.core.leaves import GONE, PendingLeaves, worth_retrying
from app.core.locus import MeetingView, Phase, derive_view
from app.core.locus_api import JoinRequest, LocusApi, new_correlation_id
from app.core.settings import Settings
from app.core.tokens import TokenStore


class Membership:
    settings: Settings
    api: LocusApi
    tokens: TokenStore
    device_url: str | None
    channels: dict[ChannelName, Any]
    _generation: int
    _meeting_id: str | None
    _view: MeetingView | None
    _left: bool
    _timeline: list[PhaseMark]
    _correlation_id: str | None
    _keep_alive: LobbyKeepAlive
    _leaves: PendingLeaves
    _teardown: asyncio.Task[None] | None
    _joining_push: tuple[int, Any] | None

    async def join(
        self, meeting_id: str, display_name: str | None = None, *, locus_url: str | None = None
    ) -> None:
        """Join by meeting address (meetingInfo, then the locus URL it names, else
        `/loci/call` with the address as invitee) or, given `locus_url` (or a meeting_id
        that is an http(s) URL), by locus URL directly. `display_name` is kept for callers:
        the SDK's join carries none (the name is the user's)."""
        await self.start()
        await self.leave()  # ends the current generation, or waits for its teardown to finish
        self._generation += 1
        generation = self._generation
        self._meeting_id, self._view, self._left = meeting_id, None, False
        self._timeline = []
        self._correlation_id = new_correlation_id()
        self._captions.reset()
        self._mark("Joining")
        if locus_url is None and meeting_id.startswith(("http://", "https://")):
            locus_url = meeting_id
        try:
            request = await self._join_request(meeting_id, locus_url)
            self._emit("meeting", EventKind.STATE, f"joining by {request.how}")
            result = await self.api.join(request)
            locus = result.body.get("locus") if isinstance(result.body, dict) else None
            view = derive_view(locus, self.device_url or "")
        except (HttpError, p.ProtocolError, ValueError) as exc:
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

    async def _join_request(self, meeting_id: str, locus_url: str | None) -> JoinRequest:
        assert self.device_url is not None
        cid = self._correlation_id or new_correlation_id()
        if locus_url:
            return self.api.join_request(self.device_url, cid, locus_url=locus_url)
        try:  # the SDK's `create`: meetingInfo names the locus (utilv2.ts, meeting/index.ts)
            info = await self.api.meeting_info(meeting_id)
        except (HttpError, p.ProtocolError) as exc:
            self._emit("meeting", EventKind.STATE, f"meetingInfo failed ({exc}): join by address")
            info = answers.MeetingInfo(None, None, None)
        if info.locus_url:
            return self.api.join_request(self.device_url, cid, locus_url=info.locus_url)
        invitee = (
            f"wbxmn:{info.meeting_number}" if info.meeting_number else (info.sip_url or meeting_id)
        )
        return self.api.join_request(self.device_url, cid, invitee=invitee)

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
            self._captions.reset()
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
            url, body = self.api.leave_request(view, self.device_url, self._correlation_id)
            try:
                await self.api.leave(url, body)
            except HttpError as exc:
                self._leave_unconfirmed(url, body, exc)
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
        url, body = self.api.leave_request(view, self.device_url, None)
        try:
            await self.api.leave(url, body)
        except HttpError as exc:
            self._leave_unconfirmed(url, body, exc)
            return
        self._emit("meeting", EventKind.STATE, "left the participant of a superseded join")

    def _leave_unconfirmed(self, url: str, body: dict[str, Any], exc: HttpError) -> None:
        if worth_retrying(exc.status):  # the server must still learn of it: keep trying
            self._leaves.add(url, body, str(exc))
        elif exc.status not in GONE:
            self._error("meeting", f"leave refused by the server (left locally): {exc}")

    def _leave_failed(self, url: str, message: str) -> None:
        self._error("meeting", f"leave request failed (left locally; retrying until the "
                    f"server confirms): {message}")  # fmt: skip

    def _leave_confirmed(self, url: str, attempts: int) -> None:
        what = f"leave confirmed by the server (attempt {attempts})"
        self._emit("meeting", EventKind.STATE, what)
        self._publish()
