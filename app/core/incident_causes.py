"""Which logged action caused an incident, and how a close is put into words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from app.core.incident_model import Action

if TYPE_CHECKING:
    from app.core.incidents import _Open

CAUSE_WINDOW = 90.0  # s: a half-open under the sdk profile takes up to ~30 s to detect
CAUSE_LATE = 0.05  # s: clock slack (actions are stamped when called, before any effect)


def _cause_for(
    o: _Open, actions: Sequence[Action], used: set[tuple[int, str]]
) -> tuple[Action | None, tuple[Action, ...]]:
    """The latest disruptive action aimed at this channel (else at no channel in particular)
    between the channel coming online and just after the detection."""
    lo = max(o.detected - CAUSE_WINDOW, o.online_since or 0.0)
    hi = o.detected + CAUSE_LATE
    candidates = [
        (i, a)
        for i, a in enumerate(actions)
        if lo <= a.wall <= hi and a.disruptive and a.channel in (o.channel, None)
    ]
    candidates = [(i, a) for i, a in candidates if (i, o.channel) not in used]
    if not candidates:
        return None, ()
    aimed = [c for c in candidates if c[1].channel == o.channel]
    index, cause = (aimed or candidates)[-1]
    used.add((index, o.channel))  # one action causes at most one incident per channel
    # what set it up: a token expiry or a fault shortly before (a rotate after an expiry)
    related = tuple(
        a
        for _, a in candidates
        if a is not cause
        and 0 <= cause.wall - a.wall <= 5.0
        and (a.source == "fault" or a.name == "tokens")
    )
    return cause, related


def _close_words(data: Mapping[str, Any]) -> str:
    code, reason = _code(data), str(data.get("reason") or "")
    by = "client" if data.get("by_client") else "server"
    if "pong" in reason.lower() and data.get("by_client"):
        return f"pong timeout ({code} {reason!r}, closed by client)"
    frame = " (no close frame)" if data.get("code") is None else ""
    return f"close {code}{frame} {reason!r} by {by}"


def _close_short(data: Mapping[str, Any]) -> str:
    reason = str(data.get("reason") or "")
    if "pong" in reason.lower() and data.get("by_client"):
        return "pong timeout"
    return f"close {_code(data)}"


def _code(data: Mapping[str, Any]) -> int:
    code = data.get("code")
    return code if isinstance(code, int) else 1006  # no close frame is 1006 (PROTOCOL.md 4)
