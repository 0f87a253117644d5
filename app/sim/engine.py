"""The simulator's behaviour: locus, token and registration logic plus host actions.

Every operation mutates the model synchronously and then applies its effects (locus pushes,
socket closes, timers) without awaiting, so no request can observe half a state change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from app.sim.datachannel import DatachannelService
from app.sim.faults import FaultBook
from app.sim.host import HostControls
from app.sim.links import ChangeSignal, SocketLink
from app.sim.locus_view import render_locus
from app.sim.model import (
    JWT_FEATURE,
    TOKEN_TYPES,
    Meeting,
    Participant,
    Phase,
    SimError,
    SimModel,
)
from app.sim.proxy import FaultProxy
from app.sim.tokens import TokenMint, mask
from app.sim.voicea import Voicea
from app.sim.wdm import device_answer

log = logging.getLogger("app.sim")


class SimEngine(HostControls):
    def __init__(
        self,
        base_url: str,
        user_token: str | None,
        proxy: FaultProxy | None,
        model: SimModel | None = None,
        mint: TokenMint | None = None,
    ) -> None:
        self.signal = ChangeSignal()
        if model is None:
            model = SimModel(base_url)
        elif model.base_url != base_url:
            raise ValueError(f"state of {model.base_url} cannot serve {base_url}")
        model.on_change = self.signal.notify
        self.model = model
        self.user_token = user_token
        self.proxy = proxy
        self.mint = mint or TokenMint()
        self.faults = FaultBook(on_change=self.signal.notify)
        self.dc = DatachannelService(self.model, self.mint)
        self.links: dict[str, SocketLink] = {}
        self._lobby_timers: dict[str, asyncio.TimerHandle] = {}
        self.voicea = Voicea(self.model, self.links)
        self._drains: dict[str, asyncio.TimerHandle] = {}
        self.stopping = False

    def resume(self) -> None:
        """After a restart on carried-over state: what ran in the old process is gone.

        Live sockets died with it; registrations in flight were never answered; lobby
        timers and caption tickers start again (a restarted backend keeps its meetings).
        """
        self.model.sockets.clear()
        self.model.registering.clear()
        for m in self.model.meetings.values():
            if m.ended:
                continue
            for p in m.participants.values():
                if p.phase == Phase.LOBBY:
                    self._arm_lobby_timer(m, p)
            if m.transcription_per_second > 0:
                self.set_transcription(m.id, m.transcription_per_second)
        self.model.touch()

    @property
    def base_url(self) -> str:
        return self.model.base_url

    # -- lookups --------------------------------------------------------------------------

    def check_user(self, authorization: str | None) -> str:
        """The caller's user token, or 401 (any non-empty bearer unless one is fixed)."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise SimError(401, "missing user token (Authorization: Bearer <token>)")
        if self.user_token is not None and token != self.user_token:
            raise SimError(401, f"user token {mask(token)} is not accepted here")
        return token

    def user_ok(self, token: str | None) -> bool:
        return bool(token) and (self.user_token is None or token == self.user_token)

    def meeting(self, meeting_id: str, *, live: bool = False) -> Meeting:
        return self.model.meeting(meeting_id, live=live)

    def participant(self, m: Meeting, participant_id: str) -> Participant:
        return self.model.participant(m, participant_id)

    # -- effects --------------------------------------------------------------------------

    def push_locus(self, m: Meeting, p: Participant) -> None:
        """The participant's locus to its device socket(s), if any is live.

        Rendered only when it goes out: its sequence then becomes the base of the next one.
        `data.locusUrl` beside the locus: the SDK matches the push to its meeting by it.
        """
        links = [
            link
            for record in self.model.participant_sockets(p, "device")
            if (link := self.links.get(record.id)) is not None and not link.closing
        ]
        if not links:
            return
        locus = render_locus(self.model, m, p)
        for link in links:
            link.push({"eventType": "locus.difference", "locusUrl": m.locus_url, "locus": locus})

    def push_all(self, m: Meeting) -> None:
        for p in m.participants.values():
            if p.phase != Phase.LEFT:
                self.push_locus(m, p)

    def drain_socket(self, socket_id: str, ms: int) -> bool:
        """`shutdown` frame now; close 4001 once a replacement is online (sessions._open) or
        after `ms` (PROTOCOL.md section 4 step 8)."""
        link = self.links.get(socket_id)
        if link is None or link.closing:
            return False
        link.record.draining = True
        link.reply({"type": "shutdown"})
        loop = asyncio.get_running_loop()
        self._drains[socket_id] = loop.call_later(ms / 1000, self._drain_deadline, socket_id)
        self.model.touch()
        return True

    def replaced_after_drain(self, socket_id: str) -> None:
        """A replacement for a draining socket is online: the old one goes, 4001."""
        handle = self._drains.pop(socket_id, None)
        if handle is not None:
            handle.cancel()
        self.close_socket(socket_id, 4001, "shutdown: replaced")

    def _drain_deadline(self, socket_id: str) -> None:
        self._drains.pop(socket_id, None)
        record = self.model.sockets.get(socket_id)
        if record is not None and record.draining:
            self.close_socket(socket_id, 4001, "shutdown: not replaced in time")

    def close_socket(self, socket_id: str, code: int, reason: str) -> None:
        link = self.links.get(socket_id)
        if link is not None:
            link.close(code, reason)
        self.model.remove_socket(socket_id)  # closed sockets drop out of the state view

    def close_channels(self, p: Participant, channels: tuple[str, ...], reason: str) -> None:
        for channel in channels:
            for record in self.model.participant_sockets(p, channel):
                self.close_socket(record.id, 1000, reason)

    def _arm_lobby_timer(self, m: Meeting, p: Participant) -> None:
        self._disarm_lobby_timer(p)
        loop = asyncio.get_running_loop()
        delay = m.keep_alive_secs * 2  # PROTOCOL.md section 2 [ours]
        self._lobby_timers[p.id] = loop.call_later(delay, self._lobby_timeout, m.id, p.id)

    def _disarm_lobby_timer(self, p: Participant) -> None:
        handle = self._lobby_timers.pop(p.id, None)
        if handle is not None:
            handle.cancel()

    def _lobby_timeout(self, meeting_id: str, participant_id: str) -> None:
        self._lobby_timers.pop(participant_id, None)
        m = self.model.meetings.get(meeting_id)
        p = m.participants.get(participant_id) if m else None
        if m is None or p is None or p.phase != Phase.LOBBY:
            return
        log.info("meeting %s: %s removed from the lobby (no keep-alive)", m.id, p.id)
        self.model.set_phase(p, Phase.LEFT, "removed from the lobby: keep-alive missed")
        self.push_locus(m, p)

    def _leave(self, m: Meeting, p: Participant, reason: str, push: bool = True) -> None:
        self._disarm_lobby_timer(p)
        self.model.set_phase(p, Phase.LEFT, reason)
        self.close_channels(p, ("default", "practice"), reason)
        if push:
            self.push_locus(m, p)

    # -- locus side -----------------------------------------------------------------------

    def add_device(self, name: str, device_type: str) -> dict[str, Any]:
        device = self.model.add_device(name, device_type)
        log.info("device %s registered (%s, jwt feature %s)", device.id, name, device.jwt_feature)
        return device_answer(device)

    def refresh_device(self, device_id: str) -> dict[str, Any]:
        device = self.model.devices.get(device_id)
        if device is None or device.deleted:
            raise SimError(404, f"unknown device {device_id!r}")
        return device_answer(self.model.refresh_device(device))

    def delete_device(self, device_id: str) -> None:
        device = self.model.devices.get(device_id)
        if device is None or device.deleted:
            raise SimError(404, f"unknown device {device_id!r}")
        device.deleted = True
        for record in self.model.device_sockets(device_id):
            self.close_socket(record.id, 1000, "device deleted")
        self.model.touch()

    def set_features(self, jwt: bool) -> dict[str, Any]:
        self.model.set_jwt_feature(jwt)
        return {"features": {JWT_FEATURE: jwt}, "appliesTo": "registrations and refreshes"}

    def join(
        self,
        meeting_id: str,
        device_url: str,
        display_name: str,
        role: str | None,
        user_token: str,
        correlation_id: str | None = None,
        device_type: str = "WEB",
    ) -> dict[str, Any]:
        """`role` None: the meeting's `joinRole` (the SDK's body names none; a webinar's
        invited panelist is one already at join)."""
        m = self.meeting(meeting_id, live=True)
        role = role or m.join_role
        previous = m.by_device(device_url)
        if previous is not None:
            # The device moved on: no LEFT push for the old record, it would confuse the new.
            self._leave(m, previous, "replaced by a new join from the same device", push=False)
        p, _ = self.model.join(
            m, device_url, display_name, role, user_token, correlation_id, device_type
        )
        log.info("meeting %s: %s joined as %s (%s)", m.id, p.id, role, p.phase)
        locus = render_locus(self.model, m, p)
        if p.phase == Phase.LOBBY:
            self._arm_lobby_timer(m, p)
        else:
            locus["self"]["datachannelToken"] = self.dc.issue(m, p, TOKEN_TYPES["default"])
            if p.panelist and m.practice_enabled:
                token = self.dc.issue(m, p, TOKEN_TYPES["practice"])
                locus["self"]["practiceSessionDatachannelToken"] = token
        self.push_locus(m, p)  # the same sequence as the answer: the SDK keeps one of the two
        return {"locus": locus, "mediaConnections": []}  # required by the SDK's parseLocusJoin

    def resync(self, meeting_id: str, user_token: str, device_url: str | None) -> dict[str, Any]:
        m = self.meeting(meeting_id)
        candidates = list(m.participants.values())
        if device_url:
            candidates = [p for p in candidates if p.device_url == device_url]
        else:
            candidates = [p for p in candidates if p.user_token == user_token]
        if not candidates:
            raise SimError(404, f"no participant of meeting {m.id!r} for this caller")
        live = [p for p in candidates if p.phase != Phase.LEFT]
        p = (live or candidates)[-1]
        locus = render_locus(self.model, m, p)
        # The SDK reads the bare locus DTO (`locus-info/index.ts` doLocusSync -> onFullLocus
        # (res.body)); `locus` repeats it for clients written to PROTOCOL.md's `{locus}`.
        return {**locus, "locus": locus}

    def active_loci(self, user_token: str, device_url: str | None) -> dict[str, Any]:
        """`GET /locus/api/v1/loci`: every live meeting of this device (else of this user),
        each locus as its participant there sees it (same sequence pair as pushes).

        The SDK calls it at each device-socket online (`meetings/index.ts` syncMeetings) and
        destroys every meeting whose locusUrl is not listed (NO_MEETINGS_TO_SYNC), so joined
        and lobby participants are listed; left ones and ended meetings are not.
        """
        loci = []
        for m in self.model.meetings.values():
            if m.ended:
                continue
            if device_url:
                p = m.by_device(device_url)
            else:
                p = self.model.live_participant_of(m, user_token)
            if p is not None:
                loci.append(render_locus(self.model, m, p))
        # `locusUrls` as Locus lists it (`meetings/request.ts` determineRedirections)
        return {"loci": loci, "locusUrls": [locus["url"] for locus in loci]}

    def keep_alive(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        m = self.meeting(meeting_id)
        p = self.participant(m, participant_id)
        if p.phase == Phase.LEFT:
            raise SimError(404, f"participant {p.id!r} has left ({p.left_reason})")
        p.keep_alives += 1
        if p.phase == Phase.LOBBY:
            self._arm_lobby_timer(m, p)
        self.model.touch()
        return {"keepAlives": p.keep_alives}

    def leave(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        m = self.meeting(meeting_id)
        p = self.participant(m, participant_id)
        if p.phase != Phase.LEFT:
            log.info("meeting %s: %s left", m.id, p.id)
            p.attempts_at_leave = {
                "registration": dict(p.registration_attempts),
                "socket": dict(p.socket_attempts),
            }
            self._leave(m, p, "participant left")
        return {"locus": render_locus(self.model, m, p)}

    # -- captions (the participant side) ------------------------------------------------

    def controls(self, meeting_id: str, user_token: str, caption: bool | None) -> dict[str, Any]:
        """`PUT {locusUrl}/controls/` by a participant; answers its locus (with baseSequence:
        the SDK runs it through the same queue as the pushes)."""
        m = self.meeting(meeting_id, live=True)
        p = self.model.live_participant_of(m, user_token)
        if p is None:
            raise SimError(403, f"the caller is not a participant of meeting {m.id!r}")
        if p.phase != Phase.JOINED:
            raise SimError(403, f"participant {p.id} is not admitted (phase {p.phase})")
        if caption is not None and self.model.set_captions(m, caption):
            log.info("meeting %s: captions %s by %s", m.id, "on" if caption else "off", p.id)
            locus = render_locus(self.model, m, p)
            self.push_all(m)
            return {"locus": locus}
        return {"locus": render_locus(self.model, m, p)}

    # -- voicea ----------------------------------------------------------------------------

    def announce(self, link: SocketLink) -> None:
        self.voicea.announce(link)

    def _relay_transcript(self, meeting_id: str, payload: dict[str, Any]) -> None:
        """bench/_simproc.py relays through this at its own rate."""
        self.voicea.relay(meeting_id, payload)

    # -- shutdown -------------------------------------------------------------------------

    async def shutdown(self) -> None:
        self.stopping = True
        self.faults.stopping.set()
        self.voicea.stop_all()
        for handle in [*self._lobby_timers.values(), *self._drains.values()]:
            handle.cancel()
        self._lobby_timers.clear()
        self._drains.clear()
        links = list(self.links.values())
        for link in links:
            # 1001 is transient for the client (reconnect), 1012 from uvicorn would not be.
            link.close(1001, "server stopping")
        writers = [link.writer for link in links if link.writer is not None]
        if writers:
            with contextlib.suppress(Exception):
                await asyncio.wait(writers, timeout=1.0)
