"""Rendering: the locus DTO one participant sees (PROTOCOL.md section 2) and the `/sim/`
state view (section 6). Pure functions of the model."""

from __future__ import annotations

from typing import Any

from app.sim.model import ALL_CHANNELS, TOKEN_TYPES, Meeting, Participant, Phase, SimModel


def render_locus(model: SimModel, m: Meeting, p: Participant) -> dict[str, Any]:
    """The locus object as that participant sees it (PROTOCOL.md section 2)."""
    device: dict[str, Any] = {"url": p.device_url}
    info: dict[str, Any] = {}
    if p.phase == Phase.LOBBY:
        state = "IDLE"
        device.update(
            state="IDLE",
            intent={"type": "WAIT"},
            keepAliveUrl=f"{m.locus_url}/participant/{p.id}/keepAlive",
            keepAliveSecs=m.keep_alive_secs,
        )
    elif p.phase == Phase.JOINED:
        state = "JOINED"
        device["state"] = "JOINED"
        info["datachannelUrl"] = m.datachannel_url("default", model.base_url)
        if m.practice_enabled:
            url = m.datachannel_url("practice", model.base_url)
            info["practiceSessionDatachannelUrl"] = url
    else:
        state = "LEFT"
        device["state"] = "LEFT"
    return {
        "url": m.locus_url,
        "fullState": {"state": "INACTIVE" if m.ended else "ACTIVE"},
        "self": {
            "id": p.id,
            "state": state,
            "devices": [device],
            "controls": {"role": {"roles": [{"type": r, "hasRole": True} for r in p.roles]}},
        },
        "info": info,
        "controls": {"practiceSession": {"enabled": m.practice_enabled}},
    }


def state_view(model: SimModel, m: Meeting) -> dict[str, Any]:
    """The `GET /sim/meetings/{id}` answer (PROTOCOL.md section 6, plus extras)."""
    issued: dict[str, int] = dict.fromkeys(TOKEN_TYPES.values(), 0)
    participants = []
    for p in m.participants.values():
        tokens = [t for t in model.tokens.values() if t.participant_id == p.id]
        for t in tokens:
            issued[t.token_type] += 1
        channels = {
            ch: {
                "registrations": p.registrations[ch],
                "sockets": [s.view() for s in model.participant_sockets(p, ch)],
                "registrationAttempts": p.registration_attempts[ch],
                "socketAttempts": p.socket_attempts[ch],
                # of this participant's device on this channel (any participant of it)
                "registrationsInFlight": len(model.registering.get((p.device_url, ch), {})),
                "maxConcurrentRegistrations": model.max_registering.get((p.device_url, ch), 0),
            }
            for ch in ALL_CHANNELS
        }
        participants.append(
            {
                "participantId": p.id,
                "displayName": p.display_name,
                "deviceUrl": p.device_url,
                "phase": str(p.phase),
                "roles": list(p.roles),
                "keepAlives": p.keep_alives,
                "leftReason": p.left_reason,
                "attemptsAtLeave": p.attempts_at_leave,
                "tokens": [t.view() for t in tokens],
                "channels": channels,
            }
        )
    return {
        "meetingId": m.id,
        "locusUrl": m.locus_url,
        "lobby": m.lobby,
        "webinar": m.webinar,
        "ended": m.ended,
        "keepAliveSecs": m.keep_alive_secs,
        "tokenTtlSecs": m.token_ttl_secs,
        "practiceSession": {"enabled": m.practice_enabled},
        "datachannelUrl": m.datachannel_url("default", model.base_url),
        "practiceSessionDatachannelUrl": (
            m.datachannel_url("practice", model.base_url) if m.practice_enabled else None
        ),
        "rotations": dict(m.rotations),
        "transcriptionPerSecond": m.transcription_per_second,
        "tokensIssued": issued,
        "participants": participants,
    }
