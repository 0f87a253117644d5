"""Text for the panels: durations, clocks, shortened URLs, channel state lines (pure, no Qt)."""

from __future__ import annotations

import time

from app.core.events import ChannelSnapshot, ChannelState


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
    code = "no code" if c.code is None else str(c.code)
    reason = f" “{c.reason}”" if c.reason else ""
    return f"{code}{reason}: {c.meaning} → {c.action}"


def close_parts(ch: ChannelSnapshot) -> tuple[str, str]:
    """('1001 “going away”', 'transient → reconnect') for two short rows instead of one long."""
    c = ch.last_close
    if c is None:
        return "-", "-"
    code = "no close frame" if c.code is None else str(c.code)
    reason = f" “{c.reason}”" if c.reason else ""
    return f"{code}{reason}", f"{c.meaning} → {c.action}"


def subscriptions_line(ch: ChannelSnapshot) -> str:
    if not ch.subscriptions and not ch.confirmed:
        return "-"
    parts = []
    for name in ch.subscriptions:
        parts.append(f"{name} ✓ confirmed" if name in ch.confirmed else f"{name} (pending)")
    parts += [f"{n} ✓ (unrequested)" for n in ch.confirmed if n not in ch.subscriptions]
    return ", ".join(parts)
