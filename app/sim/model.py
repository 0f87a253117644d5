"""Pure meeting state of the simulator (no I/O, no asyncio).

Holds meetings, participants, devices, issued tokens, webSocketUrl keys and live socket
records (the records live in `records.py`); `views.py` renders them. Every mutation calls
`touch()`, which the runtime turns into a wake-up for `wait_for`.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable

from app.sim.records import (
    ALL_CHANNELS,
    CHANNEL_OF_TOKEN_TYPE,
    DC_CHANNELS,
    DEFAULT_KEEP_ALIVE_SECS,
    DEFAULT_TOKEN_TTL_SECS,
    FIRST_SEQUENCE,
    JWT_FEATURE,
    ROLE_TYPES,
    TOKEN_TYPES,
    Device,
    IssuedToken,
    Meeting,
    Participant,
    Phase,
    SimError,
    SocketRecord,
    WsKey,
    meeting_number,
)

__all__ = [  # re-exported: the rest of app.sim imports them from here
    "ALL_CHANNELS",
    "CHANNEL_OF_TOKEN_TYPE",
    "DC_CHANNELS",
    "FIRST_SEQUENCE",
    "JWT_FEATURE",
    "ROLE_TYPES",
    "TOKEN_TYPES",
    "Device",
    "IssuedToken",
    "Meeting",
    "Participant",
    "Phase",
    "SimError",
    "SimModel",
    "SocketRecord",
    "WsKey",
]


class SimModel:
    """All state of one simulator. Methods mutate and call touch(); nothing here awaits."""

    def __init__(self, base_url: str, on_change: Callable[[], None] | None = None) -> None:
        self.base_url = base_url
        self.on_change = on_change
        self.meetings: dict[str, Meeting] = {}
        self.devices: dict[str, Device] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.ws_keys: dict[str, WsKey] = {}
        self.dc_urls: dict[str, tuple[str, str, int]] = {}  # every URL ever issued
        self.sockets: dict[str, SocketRecord] = {}
        self.key_history: dict[str, WsKey] = {}  # every key ever issued (attempt accounting)
        # registration POSTs in flight per (device URL, channel), and the most that were ever
        # answered with overlapping lifetimes: a client must never have two at once for one
        # channel. Requests the client abandoned (it went away before the answer) do not
        # count: their answer reaches nobody.
        self.registering: dict[tuple[str, str], dict[int, float]] = {}
        self.max_registering: dict[tuple[str, str], int] = {}
        self._answered: dict[tuple[str, str], list[tuple[float, float]]] = {}
        # what the device service answers from now on (POST /sim/features)
        self.jwt_feature = True
        self._ticket = 0

    def registration_started(self, device_url: str, channel: str) -> tuple[str, str, int]:
        self._ticket += 1
        self.registering.setdefault((device_url, channel), {})[self._ticket] = time.monotonic()
        return (device_url, channel, self._ticket)

    def registration_ended(self, ticket: tuple[str, str, int], answered: bool) -> None:
        device_url, channel, number = ticket
        key = (device_url, channel)
        live = self.registering.get(key, {})
        start = live.pop(number, None)
        if not live:
            self.registering.pop(key, None)
        if start is not None and answered:
            end = time.monotonic()
            done = self._answered.setdefault(key, [])
            overlapping = 1 + sum(1 for s, e in done if s < end and e > start)
            self.max_registering[key] = max(overlapping, self.max_registering.get(key, 0))
            done.append((start, end))
            del done[:-16]
        self.touch()

    @property
    def ws_base(self) -> str:
        return "ws" + self.base_url.removeprefix("http")

    def touch(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # -- meetings, devices, participants --------------------------------------------------

    def meeting(self, meeting_id: str, *, live: bool = False) -> Meeting:
        m = self.meetings.get(meeting_id)
        if m is None:
            raise SimError(404, f"unknown meeting {meeting_id!r}")
        if live and m.ended:
            raise SimError(404, f"meeting {meeting_id!r} has ended")
        return m

    def participant(self, m: Meeting, participant_id: str) -> Participant:
        p = m.participants.get(participant_id)
        if p is None:
            raise SimError(404, f"unknown participant {participant_id!r} in meeting {m.id!r}")
        return p

    def create_meeting(
        self,
        meeting_id: str | None,
        lobby: bool,
        webinar: bool,
        keep_alive_secs: int | None,
        token_ttl_secs: int | None,
        transcription_per_second: float = 0.0,
        number: str | None = None,
    ) -> tuple[Meeting, bool]:
        mid = meeting_id or f"m-{secrets.token_hex(4)}"
        existing = self.meetings.get(mid)
        if existing is not None and not existing.ended:
            return existing, False  # safe to repeat
        meeting = Meeting(
            id=mid,
            locus_url=f"{self.base_url}/locus/api/v1/loci/{mid}",
            lobby=lobby,
            webinar=webinar,
            keep_alive_secs=keep_alive_secs or DEFAULT_KEEP_ALIVE_SECS,
            token_ttl_secs=token_ttl_secs or DEFAULT_TOKEN_TTL_SECS,
            transcription_per_second=transcription_per_second,
            number=number or meeting_number(mid),
        )
        self.meetings[mid] = meeting
        self._remember_urls(meeting)
        self.touch()
        return meeting, True

    def _remember_urls(self, m: Meeting) -> None:
        for channel in DC_CHANNELS:
            url = m.datachannel_url(channel, self.base_url)
            self.dc_urls[url] = (m.id, channel, m.rotations[channel])

    def meeting_by_address(self, address: str) -> Meeting | None:
        """The meeting an `invitee.address` or meetingInfo destination names: its id or
        number, `wbxmn:<either>`, `<either>@host`, `sip:...`, or a URL ending in either."""
        value = address.strip()
        value = value.removeprefix("wbxmn:").removeprefix("sip:").removeprefix("sips:")
        value = value.split("@", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        found = self.meetings.get(value)
        if found is None:
            found = next((m for m in self.meetings.values() if m.number == value), None)
        return found

    def live_participant_of(self, m: Meeting, user_token: str) -> Participant | None:
        """The newest participant of this caller still in the meeting."""
        for p in reversed(m.participants.values()):
            if p.user_token == user_token and p.phase != Phase.LEFT:
                return p
        return None

    def bump(self, m: Meeting) -> None:
        """The meeting's locus changed: its sequence grows (PROTOCOL.md section 2)."""
        m.sequence += 1
        self.touch()

    def add_device(self, name: str, device_type: str = "WEB") -> Device:
        device_id = uuid.uuid4().hex
        device = Device(
            id=device_id,
            name=name,
            url=f"{self.base_url}/wdm/api/v1/devices/{device_id}",
            ws_url=f"{self.ws_base}/mercury/{device_id}",
            device_type=device_type,
            jwt_feature=self.jwt_feature,
        )
        self.devices[device_id] = device
        self.touch()
        return device

    def refresh_device(self, device: Device) -> Device:
        """`PUT {deviceUrl}`: the features are re-read, so the toggle applies from now on."""
        device.jwt_feature = self.jwt_feature
        device.refreshes += 1
        self.touch()
        return device

    def set_jwt_feature(self, enabled: bool) -> None:
        self.jwt_feature = enabled
        self.touch()

    def device_by_url(self, url: str) -> Device | None:
        for device in self.devices.values():
            if device.url == url and not device.deleted:
                return device
        return None

    def join(
        self,
        m: Meeting,
        device_url: str,
        display_name: str,
        role: str,
        user_token: str,
        correlation_id: str | None = None,
        device_type: str = "WEB",
    ) -> tuple[Participant, Participant | None]:
        """New participant; a previous live one on the same device is replaced (left)."""
        replaced = m.by_device(device_url)
        if replaced is not None:
            self.set_phase(replaced, Phase.LEFT, "replaced by a new join from the same device")
        p = Participant(
            id=str(uuid.uuid4()),
            meeting_id=m.id,
            display_name=display_name,
            device_url=device_url,
            user_token=user_token,
            phase=Phase.LOBBY if m.lobby else Phase.JOINED,
            roles=[role],
            correlation_id=correlation_id,
            device_type=device_type,
        )
        m.participants[p.id] = p
        self.bump(m)
        return p, replaced

    def set_phase(self, p: Participant, phase: Phase, reason: str | None = None) -> None:
        if phase != Phase.JOINED:
            self.drop_keys(p.meeting_id, p.id)
        p.phase = phase
        if phase == Phase.LEFT:
            p.left_reason = reason
        m = self.meetings.get(p.meeting_id)
        if m is not None:
            self.bump(m)

    def set_roles(self, p: Participant, roles: list[str]) -> bool:
        """Returns True when the participant lost the panelist role."""
        was_panelist = p.panelist
        p.roles = list(roles)
        demoted = was_panelist and not p.panelist
        if demoted:
            self.drop_keys(p.meeting_id, p.id, "practice")
        m = self.meetings.get(p.meeting_id)
        if m is not None:
            self.bump(m)
        return demoted

    def set_practice(self, m: Meeting, enabled: bool) -> bool:
        changed = m.practice_enabled != enabled
        m.practice_enabled = enabled
        if not enabled:
            self.drop_keys(m.id, None, "practice")
        if changed:
            self.bump(m)
        return changed

    def set_captions(self, m: Meeting, enabled: bool) -> bool:
        changed = m.captions != enabled
        m.captions = enabled
        if changed:
            self.bump(m)
        return changed

    def rotate(self, m: Meeting, channel: str) -> str:
        m.rotations[channel] += 1
        self._remember_urls(m)
        self.drop_keys(m.id, None, channel)
        self.bump(m)
        return m.datachannel_url(channel, self.base_url)

    def end_meeting(self, m: Meeting) -> list[Participant]:
        affected = [p for p in m.participants.values() if p.phase != Phase.LEFT]
        for p in affected:
            self.set_phase(p, Phase.LEFT, "meeting ended")
        m.ended = True
        m.practice_enabled = False
        m.captions = False
        m.transcription_per_second = 0.0
        self.bump(m)
        return affected

    # -- tokens and webSocketUrl keys -----------------------------------------------------

    def record_token(self, token: IssuedToken) -> None:
        self.tokens[token.jti] = token
        self.touch()

    def mark_tokens(self, m: Meeting, action: str, token_type: str | None) -> int:
        count = 0
        for token in self.tokens.values():
            if token.meeting_id != m.id or (token_type and token.token_type != token_type):
                continue
            if action == "revoke":
                token.revoked = True
            else:
                token.expired = True
            count += 1
        self.touch()
        return count

    def add_key(self, m: Meeting, p: Participant, channel: str, dc_url: str) -> WsKey:
        key = WsKey(
            key=secrets.token_urlsafe(18),
            meeting_id=m.id,
            participant_id=p.id,
            channel=channel,
            datachannel_url=dc_url,
            binding=secrets.token_hex(8),
        )
        self.ws_keys[key.key] = key
        self.key_history[key.key] = key
        p.registrations[channel] += 1
        self.touch()
        return key

    def drop_keys(self, meeting_id: str, participant_id: str | None, channel: str | None = None):
        for key in list(self.ws_keys.values()):
            if key.meeting_id != meeting_id:
                continue
            if participant_id is not None and key.participant_id != participant_id:
                continue
            if channel is not None and key.channel != channel:
                continue
            del self.ws_keys[key.key]

    # -- live sockets ---------------------------------------------------------------------

    def add_socket(self, record: SocketRecord) -> None:
        self.sockets[record.id] = record
        self.touch()

    def remove_socket(self, socket_id: str) -> bool:
        removed = self.sockets.pop(socket_id, None) is not None
        if removed:
            self.touch()
        return removed

    def participant_sockets(self, p: Participant, channel: str) -> list[SocketRecord]:
        if channel == "device":
            device = self.device_by_url(p.device_url)
            if device is None:
                return []
            return [s for s in self.sockets.values() if s.device_id == device.id]
        return [
            s
            for s in self.sockets.values()
            if s.participant_id == p.id and s.channel == channel and s.meeting_id == p.meeting_id
        ]

    def device_sockets(self, device_id: str) -> list[SocketRecord]:
        return [s for s in self.sockets.values() if s.device_id == device_id]
