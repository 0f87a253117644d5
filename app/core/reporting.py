"""What the meeting reports: events, the phase timeline, token and HTTP lines, and the
coalesced snapshot publication. A mixin of `MeetingClient` (split out of meeting.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from app.core.events import CoreEvent, EventKind, Hub, MeetingSnapshot, PhaseMark
from app.core.tokens import TokenSlot, mask

log = logging.getLogger("app.core")


class Reporting:
    hub: Hub
    _t0: float
    _seq: int
    _generation: int
    _timeline: list[PhaseMark]
    _last_error: str | None
    _publish_pending: bool

    @property
    def snapshot(self) -> MeetingSnapshot:  # pragma: no cover - defined by the client
        raise NotImplementedError

    def emit(
        self, channel: str, generation: int, kind: EventKind, summary: str, **data: Any
    ) -> None:
        self._seq += 1
        now = time.monotonic()
        event = CoreEvent(
            self._seq, now - self._t0, time.time(), generation, channel, kind, summary, data
        )
        if kind not in (EventKind.RTT, EventKind.TRANSCRIPT):
            log.debug("%s %s %s", channel, kind, summary)  # a StrEnum prints as its value
        self.hub.emit(event)

    def _emit(self, channel: str, kind: EventKind, summary: str, **data: Any) -> None:
        self.emit(channel, self._generation, kind, summary, **data)

    def _error(self, channel: str, message: str) -> None:
        self._last_error = message
        self._emit(channel, EventKind.ERROR, message)
        self._publish()

    def _mark(self, label: str) -> None:
        self._timeline.append(PhaseMark(label, time.monotonic() - self._t0, time.time()))
        self._publish()

    def _token_changed(self, kind: str, slot: TokenSlot | None, what: str) -> None:
        if slot is None:
            self._emit("token", EventKind.TOKEN, f"{kind} {what}", token_type=kind)
        else:
            exp = f", exp in {slot.exp - time.time():.0f} s" if slot.exp else ""
            warn = f" (warning: {slot.decode_error})" if slot.decode_error else ""
            took = f" in {slot.fetch_ms:.0f} ms" if slot.fetch_ms is not None else ""
            self._emit(
                "token",
                EventKind.TOKEN,
                f"{kind} {what}{took} {mask(slot.token)}{exp}{warn}",
                token_type=kind,
                source=slot.source,
                masked=slot.masked,
                ms=slot.fetch_ms,
            )
        self._publish()

    def _http_timing(
        self, what: str, url: str, status: int | None, ms: float, err: str | None
    ) -> None:
        summary = f"{what} {status if status is not None else err} in {ms:.0f} ms"
        self._emit("http", EventKind.HTTP, summary, what=what, status=status, ms=ms, error=err)

    def _http_retry(self, what: str, status: int, delay: float, why: str) -> None:
        self._emit(
            "http",
            EventKind.RETRY,
            f"{what} answered {status}: one retry in {delay:g} s ({why})",
            what=what,
            status=status,
            delay=delay,
            source=why,
        )

    def _publish(self) -> None:
        """Coalesce snapshot publication to once per loop iteration; none while nobody
        listens (the `snapshot` property still builds one on demand)."""
        if self._publish_pending or not self.hub.wants_snapshots:
            return
        self._publish_pending = True
        try:
            asyncio.get_running_loop().call_soon(self._publish_now)
        except RuntimeError:  # no running loop (constructed outside one): publish at once
            self._publish_now()

    def _publish_now(self) -> None:
        self._publish_pending = False
        self.hub.publish(self.snapshot)
