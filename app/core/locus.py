"""Locus DTO -> MeetingView: phase, roles, practice session, URLs (pure; PROTOCOL.md s. 2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from app.core.protocol import ProtocolError

DEFAULT_TOKEN = "llm-default-session"
PRACTICE_TOKEN = "llm-practice-session"
TOKEN_TYPES = (DEFAULT_TOKEN, PRACTICE_TOKEN)


class Phase(Enum):
    NOT_JOINED = "not joined"
    LOBBY = "lobby"
    JOINED = "joined"
    LEFT = "left"


@dataclass(frozen=True)
class MeetingView:
    locus_url: str
    participant_id: str | None
    phase: Phase
    roles: frozenset[str]
    practice_enabled: bool
    datachannel_url: str | None
    practice_url: str | None
    keep_alive_url: str | None
    keep_alive_secs: int | None
    sequence: int | None  # newest entry of locus.sequence (parser.ts getMetaData `max`)
    captions: bool | None  # locus.controls.transcribe.caption, when the locus says
    # token type -> token, as carried inside this locus (join answer); secrets: not in repr
    tokens: dict[str, str] = field(repr=False)
    sequence_obj: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def panelist(self) -> bool:
        return "PANELIST" in self.roles

    @property
    def practice_eligible(self) -> bool:
        """PROTOCOL.md: joined, panelist, practice session on, and a URL present."""
        return (
            self.phase is Phase.JOINED
            and self.panelist
            and self.practice_enabled
            and self.practice_url is not None
        )

    @property
    def role_label(self) -> str:
        order = ("MODERATOR", "COHOST", "PANELIST", "ATTENDEE")
        return ", ".join(r for r in order if r in self.roles) or "-"


def derive_view(locus: Any, device_url: str) -> MeetingView:
    """Raises ProtocolError when the DTO is not shaped like a locus."""
    if not isinstance(locus, dict):
        raise ProtocolError("locus is not an object")
    url = locus.get("url")
    if not isinstance(url, str) or not url:
        raise ProtocolError("locus has no url")
    me = _obj(locus.get("self"), "self")
    info = _obj(locus.get("info"), "info")
    controls = _obj(locus.get("controls"), "controls")

    devices = me.get("devices", [])
    if devices is None:
        devices = []
    if not isinstance(devices, list):
        raise ProtocolError("self.devices is not a list")
    joined_with = next(
        (d for d in devices if isinstance(d, dict) and d.get("url") == device_url), None
    )
    intent = (joined_with or {}).get("intent") or {}
    intent_type = intent.get("type") if isinstance(intent, dict) else None
    self_state = me.get("state")

    if self_state in ("LEFT", "DECLINED") or (joined_with is None and self_state != "IDLE"):
        phase = Phase.LEFT
    elif self_state == "IDLE" and intent_type == "WAIT":
        phase = Phase.LOBBY
    elif self_state == "JOINED" and (joined_with or {}).get("state") == "JOINED":
        phase = Phase.JOINED
    else:
        phase = Phase.NOT_JOINED

    role_list = _obj(_obj(me.get("controls"), "self.controls").get("role"), "role").get("roles")
    if role_list is not None and not isinstance(role_list, list):
        raise ProtocolError("self.controls.role.roles is not a list")
    roles = frozenset(
        r["type"]
        for r in (role_list or [])
        if isinstance(r, dict) and r.get("hasRole") is True and isinstance(r.get("type"), str)
    )
    practice = _obj(controls.get("practiceSession"), "controls.practiceSession")
    ka_secs = (joined_with or {}).get("keepAliveSecs")
    ka_url = (joined_with or {}).get("keepAliveUrl")
    tokens = {
        t: me[k]
        for t, k in (
            (DEFAULT_TOKEN, "datachannelToken"),
            (PRACTICE_TOKEN, "practiceSessionDatachannelToken"),
        )
        if isinstance(me.get(k), str) and me.get(k)
    }
    pid = me.get("id")
    transcribe = controls.get("transcribe")
    caption = transcribe.get("caption") if isinstance(transcribe, dict) else None
    return MeetingView(
        locus_url=url,
        participant_id=str(pid) if pid is not None else None,
        phase=phase,
        roles=roles,
        practice_enabled=practice.get("enabled") is True,
        datachannel_url=_url(info.get("datachannelUrl")),
        practice_url=_url(info.get("practiceSessionDatachannelUrl")),
        keep_alive_url=_url(ka_url),
        keep_alive_secs=ka_secs
        if isinstance(ka_secs, int) and not isinstance(ka_secs, bool)
        else None,
        sequence=sequence_of(locus),
        captions=caption if isinstance(caption, bool) else None,
        tokens=tokens,
        sequence_obj=locus.get("sequence") if isinstance(locus.get("sequence"), dict) else None,
    )


def sequence_of(locus: Any) -> int | None:
    """The newest sequence number a locus carries: its last entry, else rangeEnd
    (parser.ts `getMetaData`: max = last || end). None when empty or not shaped like one
    (the SDK then uses the incoming locus: `isSequenceEmpty` -> USE_INCOMING)."""
    seq = locus.get("sequence") if isinstance(locus, dict) else None
    if not isinstance(seq, dict):
        return None
    entries = seq.get("entries")
    nums = [e for e in entries if _int(e)] if isinstance(entries, list) else []
    if nums:
        return int(nums[-1])
    end = seq.get("rangeEnd")
    return int(end) if _int(end) and end > 0 else None


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def keep_alive_interval(keep_alive_secs: int | None) -> float | None:
    """(keepAliveSecs - 1) * 750 ms, only when keepAliveSecs > 1; seconds, or None."""
    if keep_alive_secs is None or keep_alive_secs <= 1:
        return None
    return (keep_alive_secs - 1) * 0.75


def _obj(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(f"locus {name} is not an object")
    return value


def _url(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def badge(view: MeetingView | None, joined: bool, left: bool) -> str:
    """Not joined / Joining / Lobby / Admitted / Panelist / Practice session / Left."""
    if not joined:
        return "Not joined"
    if left:
        return "Left" if view is not None else "Not joined"
    if view is None:
        return "Joining"
    if view.phase is Phase.LOBBY:
        return "Lobby"
    if view.phase is Phase.JOINED:
        if view.panelist and view.practice_enabled:
            return "Practice session"
        return "Panelist" if view.panelist else "Admitted"
    return "Left" if view.phase is Phase.LEFT else "Not joined"
