"""Host actions of the engine (the `/sim/` console's verbs): meetings, admission, roles,
practice session, rotation, tokens, captions and caption rate. A mixin of `SimEngine`: it
works on the engine's model and effects, and like them never awaits."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from app.sim.model import Meeting, Phase, SimError

if TYPE_CHECKING:
    from app.sim.model import Participant, SimModel
    from app.sim.voicea import Voicea

log = logging.getLogger("app.sim")


class HostControls:
    if TYPE_CHECKING:  # provided by SimEngine
        model: SimModel
        voicea: Voicea
        base_url: str

        def meeting(self, meeting_id: str, *, live: bool = False) -> Meeting: ...
        def participant(self, m: Meeting, participant_id: str) -> Participant: ...
        def push_locus(self, m: Meeting, p: Participant) -> None: ...
        def push_all(self, m: Meeting) -> None: ...
        def close_channels(self, p: Participant, channels: tuple[str, ...], reason: str): ...
        def _arm_lobby_timer(self, m: Meeting, p: Participant) -> None: ...
        def _disarm_lobby_timer(self, p: Participant) -> None: ...

    def create_meeting(
        self,
        meeting_id: str | None,
        lobby: bool,
        webinar: bool,
        keep_alive_secs: int | None = None,
        token_ttl_secs: int | None = None,
        transcription_per_second: float | None = None,
        captions: bool = False,
        join_role: str | None = None,
    ) -> tuple[Meeting, bool]:
        """Create (or find, safe to repeat); a caption rate given here runs from the start,
        so captions flow as soon as a client turns them on and subscribes."""
        m, created = self.model.create_meeting(
            meeting_id, lobby, webinar, keep_alive_secs, token_ttl_secs
        )
        if created and captions:
            self.model.set_captions(m, True)
        if created and join_role:
            m.join_role = join_role
        if transcription_per_second is not None and (
            created or transcription_per_second != m.transcription_per_second
        ):
            self.set_transcription(m.id, transcription_per_second)
        return m, created

    def end_meeting(self, meeting_id: str) -> dict[str, Any]:
        m = self.meeting(meeting_id)
        if m.ended:
            return {"meetingId": m.id, "ended": True, "participantsRemoved": 0}
        self.voicea.stop(m.id)
        affected = self.model.end_meeting(m)
        for p in affected:
            self._disarm_lobby_timer(p)
            self.close_channels(p, ("default", "practice"), "meeting ended")
            self.push_locus(m, p)
        log.info("meeting %s ended", m.id)
        return {"meetingId": m.id, "ended": True, "participantsRemoved": len(affected)}

    def admit(self, meeting_id: str, participant_id: str | None) -> dict[str, Any]:
        m = self.meeting(meeting_id, live=True)
        if participant_id is not None:
            waiting = [self.participant(m, participant_id)]
            if waiting[0].phase != Phase.LOBBY:
                return {
                    "meetingId": m.id,
                    "admitted": [],
                    "message": f"{participant_id} is not in the lobby",
                }
        else:
            waiting = [p for p in m.participants.values() if p.phase == Phase.LOBBY]
        for p in waiting:
            self._disarm_lobby_timer(p)
            self.model.set_phase(p, Phase.JOINED)
            self.push_locus(m, p)
        return {"meetingId": m.id, "admitted": [p.id for p in waiting]}

    def to_lobby(self, meeting_id: str, participant_id: str) -> dict[str, Any]:
        m = self.meeting(meeting_id, live=True)
        p = self.participant(m, participant_id)
        if p.phase != Phase.JOINED:
            return {"meetingId": m.id, "moved": [], "message": f"{p.id} is not joined ({p.phase})"}
        self.model.set_phase(p, Phase.LOBBY)
        self.close_channels(p, ("default", "practice"), "moved to the lobby")
        self._arm_lobby_timer(m, p)
        self.push_locus(m, p)
        return {"meetingId": m.id, "moved": [p.id]}

    def set_roles(self, meeting_id: str, participant_id: str, roles: list[str]) -> dict[str, Any]:
        m = self.meeting(meeting_id, live=True)
        p = self.participant(m, participant_id)
        if self.model.set_roles(p, roles):
            self.close_channels(p, ("practice",), "no longer a panelist")
        self.push_locus(m, p)
        return {"meetingId": m.id, "participantId": p.id, "roles": list(p.roles)}

    def set_practice(self, meeting_id: str, enabled: bool) -> dict[str, Any]:
        m = self.meeting(meeting_id, live=True)
        if enabled and not m.webinar:
            raise SimError(400, f"meeting {m.id!r} is not a webinar: no practice session")
        changed = self.model.set_practice(m, enabled)
        live = [p for p in m.participants.values() if p.phase != Phase.LEFT]
        if not enabled:
            for p in live:
                self.close_channels(p, ("practice",), "practice session ended")
        if changed:
            for p in live:
                self.push_locus(m, p)
        url = m.datachannel_url("practice", self.base_url) if m.practice_enabled else None
        return {
            "meetingId": m.id,
            "enabled": enabled,
            "changed": changed,
            "practiceSessionDatachannelUrl": url,
        }

    def rotate(self, meeting_id: str, channel: str) -> dict[str, Any]:
        m = self.meeting(meeting_id, live=True)
        url = self.model.rotate(m, channel)
        for p in m.participants.values():
            if p.phase == Phase.JOINED:
                self.push_locus(m, p)
        rotation = m.rotations[channel]
        return {"meetingId": m.id, "channel": channel, "datachannelUrl": url, "rotation": rotation}

    def mark_tokens(self, meeting_id: str, action: str, token_type: str | None) -> dict[str, Any]:
        m = self.meeting(meeting_id)
        count = self.model.mark_tokens(m, action, token_type)
        return {"meetingId": m.id, "action": action, "tokenType": token_type, "tokens": count}

    def set_captions(self, meeting_id: str, enabled: bool) -> dict[str, Any]:
        """The host turns captions on or off: the locus says so to everyone."""
        m = self.meeting(meeting_id, live=True)
        changed = self.model.set_captions(m, enabled)
        if changed:
            self.push_all(m)
        return {"meetingId": m.id, "enabled": enabled, "changed": changed}

    def set_transcription(self, meeting_id: str, per_second: float) -> dict[str, Any]:
        m = self.meeting(meeting_id, live=True)
        m.transcription_per_second = per_second
        self.voicea.start(m.id, per_second)
        self.model.touch()
        return {"meetingId": m.id, "perSecond": per_second}
