"""The `/sim/` state view (PROTOCOL.md section 6, plus extras). Pure functions of the model;
the locus DTO itself is rendered by `locus_view.py`."""

from __future__ import annotations

from typing import Any

from app.sim.model import ALL_CHANNELS, JWT_FEATURE, TOKEN_TYPES, Meeting, SimModel


def _device_features(model: SimModel, device_url: str) -> dict[str, bool] | None:
    device = model.device_by_url(device_url)
    return None if device is None else {JWT_FEATURE: device.jwt_feature}


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
                "deviceFeatures": _device_features(model, p.device_url),
                "correlationId": p.correlation_id,
                "lastSequence": p.sent[0] if p.sent else None,
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
        "captions": {"enabled": m.captions},
        "meetingNumber": m.number,
        "joinRole": m.join_role,
        "sequence": m.sequence,
        "features": {JWT_FEATURE: model.jwt_feature},  # what new registrations get
        "tokensIssued": issued,
        "participants": participants,
    }
