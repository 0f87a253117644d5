"""Text for the panels: durations, clocks, shortened URLs, channel state lines (pure, no Qt)."""

from __future__ import annotations

import time

from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    MeetingSnapshot,
    TokenSnapshot,
)
from app.core.settings import Settings

NO_CLOSE_FRAME = 1006  # RFC 6455: the socket was lost without a close frame


def duration(secs: float | None) -> str:
    """Compact human duration: 0.4 s, 12 s, 4m12s, 1h03m."""
    if secs is None:
        return "-"
    neg = secs < 0
    s = abs(secs)
    if s < 10:
        out = f"{s:.1f} s"
    elif s < 60:
        out = f"{int(s)} s"
    elif s < 3600:
        out = f"{int(s // 60)}m{int(s % 60):02d}s"
    else:
        out = f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"
    return f"-{out}" if neg else out


def clock(secs: float | None) -> str:
    """A ticking clock: MM:SS, or H:MM:SS past an hour; negative shows a leading minus."""
    if secs is None:
        return "-"
    sign = "-" if secs < 0 else ""
    s = int(abs(secs))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m:02d}:{sec:02d}"


def stamp(secs: float) -> str:
    """Core time (seconds since start) as MM:SS.s, like the meeting timeline."""
    m, s = divmod(max(secs, 0.0), 60)
    return f"{int(m):02d}:{s:04.1f}"


def wall_clock(wall: float, millis: bool = True) -> str:
    lt = time.localtime(wall)
    base = time.strftime("%H:%M:%S", lt)
    return f"{base}.{int(wall % 1 * 1000):03d}" if millis else base


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def shorten(text: str | None, limit: int = 48) -> str:
    """Middle ellipsis so both the host and the distinguishing tail stay visible."""
    if not text:
        return "-"
    if len(text) <= limit:
        return text
    keep = limit - 1
    head = keep // 2
    return f"{text[:head]}…{text[-(keep - head) :]}"


# One word per state for the light; colours are chosen to read on light and dark palettes.
STATE_COLORS: dict[ChannelState, str] = {
    ChannelState.OFFLINE: "#8a8a8a",
    ChannelState.WAITING: "#8a8a8a",
    ChannelState.FETCHING_TOKEN: "#d9a400",
    ChannelState.REGISTERING: "#d9a400",
    ChannelState.CONNECTING: "#d9a400",
    ChannelState.AUTHORIZING: "#d9a400",
    ChannelState.ONLINE: "#2ea043",
    ChannelState.RECONNECTING: "#e8710a",
    ChannelState.REPLACED: "#a371f7",
    ChannelState.CLOSED: "#8a8a8a",
    ChannelState.ERROR: "#d1242f",
}


def state_line(ch: ChannelSnapshot, now: float | None = None) -> str:
    """The card's headline: 'online 4m12s', 'reconnecting in 2.0 s (attempt 3)', ..."""
    now = time.monotonic() if now is None else now
    st = ch.state
    if st is ChannelState.ONLINE:
        since = ch.online_since
        return "online" if since is None else f"online {duration(now - since)}"
    if st is ChannelState.RECONNECTING:
        if ch.next_retry_at is not None:
            left = max(ch.next_retry_at - now, 0.0)
            return f"reconnecting in {left:.1f} s (attempt {ch.attempt})"
        return f"reconnecting (attempt {ch.attempt})"
    return st.value


def close_line(ch: ChannelSnapshot) -> str:
    c = ch.last_close
    if c is None:
        return "-"
    code = close_code(c.code)
    reason = f" “{c.reason}”" if c.reason else ""
    return f"{code}{reason}: {c.meaning} → {c.action}"


def close_parts(ch: ChannelSnapshot) -> tuple[str, str]:
    """('1001 “going away”', 'transient → reconnect') for two short rows instead of one long."""
    c = ch.last_close
    if c is None:
        return "-", "-"
    code = close_code(c.code)
    reason = f" “{c.reason}”" if c.reason else (" (no close frame)" if code == "1006" else "")
    return f"{code}{reason}", f"{c.meaning} → {c.action}"


def close_code(code: int | None) -> str:
    """A close code as shown anywhere: a lost socket (no close frame) is 1006, never None."""
    return str(NO_CLOSE_FRAME if code is None else code)


SOCKET_OPEN = frozenset({ChannelState.AUTHORIZING, ChannelState.ONLINE})
# no socket at all (not wanted, closed, gave up): a card's socket rows say "-"
NO_SOCKET = frozenset(
    {
        ChannelState.OFFLINE,
        ChannelState.WAITING,
        ChannelState.CLOSED,
        ChannelState.ERROR,
        ChannelState.REPLACED,
    }
)


def subscriptions_line(ch: ChannelSnapshot) -> str:
    """What this socket has: nothing when there is no socket (a confirmation belongs to the
    socket it came on)."""
    if ch.state not in SOCKET_OPEN:
        return "-"
    if not ch.subscriptions and not ch.confirmed:
        return "-"
    parts = []
    for name in ch.subscriptions:
        parts.append(f"{name} ✓ confirmed" if name in ch.confirmed else f"{name} (pending)")
    parts += [f"{n} ✓ (unrequested)" for n in ch.confirmed if n not in ch.subscriptions]
    return ", ".join(parts)


def rtt_line(ch: ChannelSnapshot) -> str:
    """The last round trip, only while the socket it was measured on is online."""
    if ch.state is not ChannelState.ONLINE or ch.last_rtt_ms is None:
        return ""
    return f"rtt {ms(ch.last_rtt_ms)}"


def not_wanted_reason(name: ChannelName, snap: MeetingSnapshot | None) -> str:
    """Why a data channel is not wanted, from the meeting state (the core says only that)."""
    if snap is None or snap.badge == "Not joined":
        return "not wanted: not in a meeting"
    if snap.badge == "Left":
        return "not wanted: left the meeting"
    if snap.badge in ("Lobby", "Joining"):
        return "not wanted: in the lobby (admission opens the data channels)"
    if name is ChannelName.PRACTICE:
        if not snap.practice_enabled:
            return "not wanted: no practice session running"
        if "PANELIST" not in snap.roles:
            return "not wanted: not a panelist (practice is for panelists)"
    if name is ChannelName.DEFAULT:
        return "not wanted: the meeting gave no data channel URL"
    return "not wanted"


def detail_line(name: ChannelName, ch: ChannelSnapshot, snap: MeetingSnapshot | None) -> str:
    if ch.detail.strip() == "not wanted":
        return not_wanted_reason(name, snap)
    return ch.detail


def token_result(tok: TokenSnapshot | None, practice_enabled: bool = False) -> str:
    """The token's last result, for the token on screen now."""
    if tok is None:
        return "not issued"
    held = tok.fetched_at is not None
    result = tok.last_result
    if result.startswith("cleared (not a panelist") and not practice_enabled:
        return "cleared: the practice session ended"
    if result.startswith("cleared (not a panelist"):
        return "cleared: no longer a panelist"
    if held and result == "not issued":  # came with the join answer: never fetched
        return f"from the {tok.source}" if tok.source else "held"
    if not held and tok.last_ok and not result.startswith("cleared"):
        return "-"  # a fetch result of a token that is gone belongs to that token
    timed = held and tok.fetch_ms is not None and " ms" not in result
    return f"{result} in {ms(tok.fetch_ms)}" if timed else result


def profile_label(settings: Settings) -> str:
    if settings.profile == "demo":
        return f"profile: demo (fast pings every {settings.ping_interval:g} s, not the SDK's)"
    if settings.profile == "sdk":
        return "profile: SDK defaults"
    return f"profile: {settings.profile}"


def liveness_line(
    now: float, last_frame_at: float | None, pong_from: float | None, ping_interval: float | None
) -> tuple[str, bool]:
    """('last frame 0.4 s ago · pong outstanding 2.1 s', late?) for an open socket.

    A ping goes out `ping_interval` after the last pong (or after online); from then on its
    pong is outstanding. Half-open shows here seconds before the pong timeout detects it.
    """
    frame = (
        "no frame yet"
        if last_frame_at is None
        else f"last frame {duration(now - last_frame_at)} ago"
    )
    if pong_from is None or ping_interval is None:
        return frame, False
    waiting = now - (pong_from + ping_interval)
    if waiting <= 0.1:  # no ping out, or its pong is due within a round trip
        return f"{frame} · pong ok", False
    return f"{frame} · pong outstanding {duration(waiting)}", waiting > ping_interval / 2
