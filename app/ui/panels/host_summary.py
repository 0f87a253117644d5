"""The host console's one-paragraph server summary, and the short names plot markers use."""

from __future__ import annotations

from typing import Any

from app.core.locus import PRACTICE_TOKEN

MAX_LISTED = 3  # participants named in the summary; the rest are counted


def short_channel(channel: str) -> str:
    return {"default": "def", "practice": "prac", "device": "dev"}.get(channel, channel)


def short_token(token_type: str | None) -> str:
    if token_type is None:
        return "tokens"
    return "prac token" if token_type == PRACTICE_TOKEN else "def token"


def describe_state(state: dict[str, Any], participant_id: str | None = None) -> str:
    """The simulator's view in a few lines: the meeting, then us (or the first present), a
    couple of others; the rest counted, never listed (the list must not grow with every
    participant the meeting has seen)."""
    practice = "on" if (state.get("practiceSession") or {}).get("enabled") else "off"
    rate = float(state.get("transcriptionPerSecond") or 0.0)
    lines = [
        f"<b>server:</b> meeting {state.get('meetingId')} · practice session {practice} · "
        f"transcription {rate:g}/s"
    ]
    everyone = list(state.get("participants") or [])
    present = [p for p in everyone if p.get("phase") != "left"]
    present.sort(key=lambda p: p.get("participantId") != participant_id)  # us first
    for p in present[:MAX_LISTED]:
        socks = []
        for ch, info in (p.get("channels") or {}).items():
            live = info.get("sockets") or []
            if live:
                subs = ",".join(sorted({s for k in live for s in k.get("subscriptions", [])}))
                socks.append(f"{ch}×{len(live)}" + (f" [{subs}]" if subs else ""))
        you = " (you)" if p.get("participantId") == participant_id else ""
        lines.append(
            f"{p.get('displayName')}{you}: {p.get('phase')}, "
            f"{'/'.join(p.get('roles') or [])}; sockets {' '.join(socks) or 'none'}"
        )
    more, gone = len(present) - min(len(present), MAX_LISTED), len(everyone) - len(present)
    if more or gone:
        lines.append(f"+{more} more present · {gone} left")
    return "<br>".join(lines)
