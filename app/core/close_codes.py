"""What a close code means (PROTOCOL.md section 4, mercury.js `_onclose`): the decision table.
No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class CloseAction(Enum):
    RECONNECT = "reconnect"  # transient: backoff
    RECONNECT_NORMAL = "reconnect (normal)"
    SWITCHOVER = "reconnect (after a failed switchover)"
    EXPECTED = "nothing (old socket of a switchover)"
    REPLACED = "stay offline (replaced)"
    PERMANENT = "stay offline (permanent)"
    REFRESH_AUTH = "refresh user auth, retry"
    REFRESH_DEVICE = "refresh device, retry"
    GIVE_UP = "give up"

    @property
    def reconnects(self) -> bool:
        return self in RECONNECTING_ACTIONS


RECONNECTING_ACTIONS = frozenset(
    {
        CloseAction.RECONNECT,
        CloseAction.RECONNECT_NORMAL,
        CloseAction.SWITCHOVER,
        CloseAction.REFRESH_AUTH,
        CloseAction.REFRESH_DEVICE,
    }
)

TRANSIENT_CODES = frozenset({1001, 1005, 1006, 1011})
NORMAL_RECONNECT_REASONS = frozenset(
    {"idle", "done (forced)", "pong not received", "pong mismatch"}
)


@dataclass(frozen=True)
class CloseDecision:
    action: CloseAction
    meaning: str = field(default="")


NO_CLOSE_FRAME = 1006  # what the `ws` package (and so the SDK) reports without a close frame


def fix_close_code(code: int | None, reason: str | None) -> int:
    """socket-base.js `_fixCloseCode`: 1005 `replaced` is 4000, `authentication failed` is
    1008; no close frame at all is 1006."""
    if code is None:
        return NO_CLOSE_FRAME
    if code == 1005 and reason:
        r = reason.strip().lower()
        if r == "replaced":
            return 4000
        if r in (
            "authentication failed",
            "authentication did not happen within the timeout window of 30000 seconds.",
        ):
            return 1008
    return code


def classify_close(
    code: int | None,
    reason: str | None,
    online: bool,
    *,
    retired: bool = False,
    after_shutdown: bool = False,
) -> CloseDecision:
    """PROTOCOL.md section 4 (mercury.js `_onclose`): what a close means.

    `retired`: the socket had been replaced by a shutdown switchover (not the active one).
    `after_shutdown`: the active socket had received `shutdown` and its replacement failed.
    """
    reason_l = (reason or "").strip().lower()
    code = fix_close_code(code, reason)
    if retired:
        if code == 4001:
            return CloseDecision(CloseAction.EXPECTED, "old socket closed after the switchover")
        return CloseDecision(CloseAction.EXPECTED, f"old socket closed ({code}) after switchover")
    if not online:
        if code == 4401:
            return CloseDecision(CloseAction.REFRESH_AUTH, "handshake: user auth refused")
        if code in (4400, 4403):
            return CloseDecision(CloseAction.GIVE_UP, f"handshake: refused ({code})")
        if code == 1005:
            return CloseDecision(CloseAction.REFRESH_DEVICE, "handshake: no status, refresh device")
        return CloseDecision(CloseAction.RECONNECT, "handshake failed, retry with backoff")
    if code in TRANSIENT_CODES:
        return CloseDecision(CloseAction.RECONNECT, "transient")
    if code in (1000, 3050) and reason_l in NORMAL_RECONNECT_REASONS:
        return CloseDecision(CloseAction.RECONNECT_NORMAL, f"normal reconnect ({reason_l})")
    if code == 4000:  # any reason (mercury.js _onclose `case 4000`)
        return CloseDecision(CloseAction.REPLACED, "replaced by another connection")
    if code == 4001:
        if after_shutdown:  # dcmon: the server asked it to move, not to stop (SDK: permanent)
            return CloseDecision(CloseAction.SWITCHOVER, "4001 after a failed switchover")
        return CloseDecision(CloseAction.PERMANENT, "4001 on the active socket (permanent)")
    return CloseDecision(CloseAction.PERMANENT, "permanent")


# The client's own close of a data channel it no longer wants.
CLIENT_DONE = (3050, "done (permanent)")
