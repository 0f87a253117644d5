"""Timeouts, backoff, limits and endpoint templates; the SDK defaults and named profiles."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Endpoints:
    """Paths of the locus side. PROTOCOL.md marks these [ours]: a real backend may differ."""

    # SDK: meeting/request.ts joinMeeting, leaveMeeting, fetchDatachannelToken
    join: str = "{locus_url}/participant?alternateRedirect=true"
    call: str = "/locus/api/v1/loci/call?alternateRedirect=true"  # join by invitee address
    meeting_info: str = "/wbxappapi/v1/meetingInfo"
    leave: str = "{locus_url}/participant/{participant_id}/leave"
    token: str = "{locus_url}/participant/{participant_id}/datachannel/token"
    practice_token: str = (
        "{locus_url}/participant/{participant_id}/practiceSession/datachannel/token"
    )
    controls: str = "{locus_url}/controls/"  # voicea.ts requestTurnOnCaptions
    device: str = "/wdm/api/v1/devices?includeUpstreamServices=all"


@dataclass(frozen=True)
class Settings:
    """All times in seconds. Defaults are the public SDK's (PROTOCOL.md section 4)."""

    profile: str = "sdk"
    ping_interval: float = 15.0
    pong_timeout: float = 14.0
    backoff_reset: float = 1.0
    backoff_max: float = 32.0
    backoff_factor: float = 2.0
    max_retries: int | None = None  # None = retry forever (the SDK default)
    force_close_delay: float = 2.0
    auth_retry_delay: float = 2.0  # 401/403 on registration: wait, refresh, re-send once
    token_expiry_margin: float = 30.0  # expired when exp is within this of now
    http_timeout: float = 10.0
    connect_timeout: float = 10.0  # socket open -> online (mercury.buffer_state)
    close_timeout: float = 2.0
    max_frame_bytes: int = 1 << 20
    tracking_prefix: str = "dcmon"
    subchannels: tuple[str, ...] = ("transcription",)
    captions: bool = True  # turn captions on (PUT controls, announce, subscribe) once online
    device_type: str = "WEB"  # plugin-meetings config.ts meetings.deviceType
    locus_retry_delay: float = 2.0  # 503/429 on a locus URL without Retry-After
    locus_retry_max: float = 60.0  # a Retry-After above this is capped (ours)
    # dcmon: no two pings of one client's sockets in flight at once (ping_coordinator.py):
    # a ping is held while another is in flight, and `ping_gap` after its pong, for at most
    # `ping_hold_max` (so a half-open socket's pong timeout is late by at most that)
    ping_hold_max: float = 1.0
    ping_gap: float = 0.005
    endpoints: Endpoints = field(default_factory=Endpoints)

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


SDK = Settings()

# Faster pings so a half-open socket is caught in seconds on stage; labelled everywhere it shows.
DEMO = Settings(
    profile="demo", ping_interval=2.0, pong_timeout=2.0, backoff_max=8.0, ping_hold_max=0.25
)

# For tests: same rules, compressed time, so a scenario runs in milliseconds.
TEST = Settings(
    profile="test",
    ping_interval=0.2,
    pong_timeout=0.4,
    backoff_reset=0.05,
    backoff_max=0.4,
    force_close_delay=0.2,
    auth_retry_delay=0.05,
    locus_retry_delay=0.05,
    http_timeout=2.0,
    connect_timeout=2.0,
    close_timeout=0.5,
    ping_hold_max=0.05,
    ping_gap=0.002,
)

PROFILES: dict[str, Settings] = {"sdk": SDK, "demo": DEMO, "test": TEST}


def profile(name: str) -> Settings:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}") from None
