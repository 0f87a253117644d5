"""The locus DTO one participant sees (PROTOCOL.md section 2, SDK_FLOW.md "smallest locus").

Shapes follow what the SDK 3.12.0 reads: `self.status` (required by `selfUtils`), `sequence`
with `rangeStart`/`rangeEnd` (else `parser.ts` drops it as "not a locus"), `baseSequence` on
every push and HTTP answer, `fullState`, `controls.transcribe`, and a `participants` roster
with the simulated speaker, whose `status.csis` lets captions be attributed.
"""

from __future__ import annotations

from typing import Any

from app.sim.model import Meeting, Participant, Phase, SimModel
from app.sim.transcript import SPEAKER_CSI

HOST_ID = "00000000-0000-4000-8000-000000000001"


def _sequence(n: int) -> dict[str, Any]:
    return {"entries": [n], "rangeStart": 0, "rangeEnd": 0}


def next_sequence(m: Meeting, p: Participant) -> tuple[int, int]:
    """(sequence, baseSequence) for the next locus rendered for `p`.

    The base is the last sequence this participant was given, so the SDK's parser applies it
    as a delta (base <= its copy < sequence). The same meeting sequence renders the same pair
    again, so a push and an HTTP answer for one change never disagree (base == sequence would
    make the SDK desync at once).
    """
    if p.sent is not None and p.sent[0] == m.sequence:
        return p.sent
    base = p.sent[0] if p.sent is not None else m.sequence - 1
    p.sent = (m.sequence, min(base, m.sequence))
    return p.sent


def _device(m: Meeting, p: Participant, state: str) -> dict[str, Any]:
    device: dict[str, Any] = {
        "url": p.device_url,
        "deviceType": p.device_type,
        "state": state,
        "mediaSessions": [],
    }
    if p.correlation_id:
        device["correlationId"] = p.correlation_id
    if p.phase == Phase.LOBBY:
        device.update(
            intent={"type": "WAIT", "reason": "GUEST"},
            keepAliveUrl=f"{m.locus_url}/participant/{p.id}/keepAlive",
            keepAliveSecs=m.keep_alive_secs,
        )
    return device


def _state(p: Participant) -> str:
    return {Phase.LOBBY: "IDLE", Phase.JOINED: "JOINED"}.get(p.phase, "LEFT")


def _member(m: Meeting, p: Participant) -> dict[str, Any]:
    state = _state(p)
    return {
        "id": p.id,
        "url": f"{m.locus_url}/participant/{p.id}",
        "state": state,
        "type": "MEETING",
        "person": {"id": p.id, "name": p.display_name, "isExternal": True},
        "devices": [_device(m, p, state)],
        "guest": True,
        "moderator": False,
        "status": {"audioStatus": "INACTIVE", "videoStatus": "INACTIVE", "csis": []},
        "controls": {"role": {"roles": [{"type": r, "hasRole": True} for r in p.roles]}},
    }


def _host(m: Meeting) -> dict[str, Any]:
    """The simulated host: always joined, the speaker of every caption."""
    return {
        "id": HOST_ID,
        "url": f"{m.locus_url}/participant/{HOST_ID}",
        "state": "JOINED",
        "type": "USER",
        "person": {"id": HOST_ID, "name": "Host", "isExternal": False},
        "devices": [],
        "guest": False,
        "moderator": True,
        "isCreator": True,
        "status": {"audioStatus": "SENDRECV", "videoStatus": "SENDRECV", "csis": [SPEAKER_CSI]},
        "controls": {"role": {"roles": [{"type": "MODERATOR", "hasRole": True}]}},
    }


def render_locus(model: SimModel, m: Meeting, p: Participant) -> dict[str, Any]:
    """The locus object as that participant sees it, with sequence and baseSequence."""
    info: dict[str, Any] = {"webExMeetingId": m.number, "isWebinar": m.webinar}
    if p.phase == Phase.JOINED:
        info["datachannelUrl"] = m.datachannel_url("default", model.base_url)
        if m.practice_enabled:
            info["practiceSessionDatachannelUrl"] = m.datachannel_url("practice", model.base_url)
    sequence, base = next_sequence(m, p)
    me = _member(m, p)
    self_view = {key: me[key] for key in ("id", "url", "state", "devices", "status", "controls")}
    members = [_host(m)] + [
        _member(m, q) for q in m.participants.values() if q.phase != Phase.LEFT or q is p
    ]
    active = not m.ended
    return {
        "url": m.locus_url,
        "fullState": {
            "active": active,
            "state": "ACTIVE" if active else "INACTIVE",
            "type": "MEETING",
            "count": len(members),
            "locked": False,
        },
        "host": {"id": HOST_ID, "name": "Host"},
        "self": self_view,
        "participants": members,
        "info": info,
        "controls": {
            "practiceSession": {"enabled": m.practice_enabled},
            "transcribe": {"transcribing": False, "caption": m.captions},  # as traced
        },
        "sequence": _sequence(sequence),
        "baseSequence": _sequence(base),
    }
