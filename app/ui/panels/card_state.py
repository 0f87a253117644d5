"""What a channel card remembers between snapshots (pure, no Qt; issue 12 items 7 and 8).

- Liveness: when the last frame arrived and when the last pong came, so the card can say
  "last frame 3.1 s ago · pong outstanding 2.9 s" live, before a half-open socket is
  detected (the snapshot has counters, not times).
- Counts of this meeting: the core's connects / reconnects / registrations are per client;
  a new meeting (generation) starts them from zero on the card.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.core.events import ChannelSnapshot
from app.ui.fmt import SOCKET_OPEN

COUNTS = ("reconnects", "connects", "registrations")


@dataclass
class CardState:
    per_meeting: bool = True  # False for the device socket: it spans meetings
    last_frame_at: float | None = None  # monotonic
    last_pong_at: float | None = None  # monotonic
    _frames_seen: int = -1
    _rtt_seen: float | None = None
    _base: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    _generation: int | None = None

    def counts(self, ch: ChannelSnapshot) -> dict[str, int]:
        """Counts of this meeting: the client's totals minus what it had when it joined."""
        return {k: getattr(ch, k) - self._base[k] for k in COUNTS}

    def track(self, ch: ChannelSnapshot, generation: int | None, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        totals = {k: getattr(ch, k) for k in COUNTS}
        if any(totals[k] < self._base[k] for k in COUNTS):  # another client: counts restart
            self._base = dict.fromkeys(COUNTS, 0)
        if generation is not None and generation != self._generation:
            if self._generation is not None and self.per_meeting:
                self._base = totals  # a new meeting starts from zero
            self._generation = generation
        if ch.state not in SOCKET_OPEN:  # no socket: nothing to be live about
            self.last_frame_at = self.last_pong_at = None
            self._frames_seen, self._rtt_seen = ch.frames_in, None
            return
        if ch.frames_in < self._frames_seen:  # a new socket counts from zero
            self.last_frame_at = self.last_pong_at = None
        if ch.frames_in > self._frames_seen >= 0:
            self.last_frame_at = now
        self._frames_seen = ch.frames_in
        if ch.last_rtt_ms is not None and ch.last_rtt_ms != self._rtt_seen:
            self._rtt_seen = ch.last_rtt_ms
            self.last_pong_at = now

    def pong(self, now: float | None = None) -> None:
        self.last_pong_at = time.monotonic() if now is None else now
