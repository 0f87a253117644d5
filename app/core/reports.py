"""What a channel's connection reports (online, pings, frames, bad input), turned into the
channel's snapshot and events; every method synchronous. A mixin of `Channel`."""

from __future__ import annotations

import time

from app.core import protocol as p
from app.core.connection import Connection
from app.core.desired import ChannelHost, Desired
from app.core.events import ChannelName, ChannelSnapshot, ChannelState, EventKind


class ChannelReports:
    name: ChannelName
    _host: ChannelHost
    _conn: Connection | None
    _serving: Desired | None
    _desired: Desired | None
    _replacement: Connection | None
    _frames: tuple[int, int]
    _online_keys: set[tuple[int, str, str | None]]
    snapshot: ChannelSnapshot

    def frame_counts(self, frames_in: int, frames_out: int) -> None:
        # every frame, in and out: no snapshot copy, no reconcile; publication is coalesced
        self._frames = (frames_in, frames_out)
        self._host.counters_changed()

    def authorizing(self) -> None:
        self._set(ChannelState.AUTHORIZING, detail="waiting for mercury.buffer_state")

    def conn_online(self, conn: Connection, connect_ms: float) -> None:
        if conn is self._replacement:
            self._promote(conn, connect_ms)
        elif conn is self._conn:
            self.online(connect_ms)

    def online(self, connect_ms: float) -> None:
        d = self._serving
        if d is None or self._conn is None:
            return
        now = self._desired
        if now is None or now.key != d.key or not now.ready:
            # The desired state moved on while this socket was opening (the reconciler's
            # wake-up is queued behind this frame): stale work is never adopted, it is closed.
            return
        again = d.key in self._online_keys
        self._online_keys.add(d.key)
        snap = self.snapshot
        self._set(
            ChannelState.ONLINE,
            detail="",
            online_since=time.monotonic(),
            connects=snap.connects + 1,
            reconnects=snap.reconnects + (1 if again else 0),
            attempt=0,
            next_retry_at=None,
            connect_ms=connect_ms,
            confirmed=(),
            requested=(),
            announced=False,
            last_error=None,
        )
        self._emit(
            EventKind.ONLINE,
            f"online in {connect_ms:.0f} ms" + (" (reconnected)" if again else ""),
            connect_ms=connect_ms,
            again=again,
        )
        self._host.channel_online(self.name, d.generation, again)
        self._sync_subs()

    def rtt(self, ms: float) -> None:
        self._set(last_rtt_ms=ms)
        self._emit(EventKind.RTT, f"rtt {ms:.2f} ms", rtt_ms=ms)

    def frame(self, frame: p.Frame) -> None:
        d = self._serving
        if d is None:
            return
        if isinstance(frame, p.SubscriptionResponse):
            confirmed = tuple(
                s
                for s in (*self.snapshot.confirmed, *frame.subscribed)
                if s not in frame.unsubscribed
            )
            confirmed = tuple(dict.fromkeys(confirmed))
            self._set(confirmed=confirmed)
            self._emit(
                EventKind.SUBSCRIBED,
                f"subscribed {', '.join(frame.subscribed) or '-'} (confirmed)",
                subscribed=list(frame.subscribed),
                unsubscribed=list(frame.unsubscribed),
            )
            return
        if isinstance(frame, p.Relay) and frame.relay_type == "voicea.annc":
            self._emit(EventKind.CAPTIONS, "voicea answered the announcement (voicea.annc)")
            return
        if isinstance(frame, p.Relay):
            try:
                transcript = p.parse_transcript(frame)
            except p.ProtocolError as exc:
                self.bad_input(str(exc))
                return
            if transcript is not None:
                self._emit(
                    EventKind.TRANSCRIPT,
                    transcript.text,
                    text=transcript.text,
                    final=transcript.final,
                    language=transcript.language,
                )
                return
        self._host.channel_frame(self.name, d.generation, frame)

    def bad_input(self, message: str) -> None:
        self._emit(EventKind.BAD_INPUT, f"dropped a frame: {message}")

    def missing_id(self, what: str) -> None:
        self._emit(
            EventKind.BAD_INPUT,
            f"server frame without an id ({what}): not acked (the SDK would reject it)",
            no_id=True,
        )

    def sequence_gap(self, expected: int, got: int) -> None:
        self._set(sequence_gaps=self.snapshot.sequence_gaps + 1)
        self._emit(EventKind.SEQ_GAP, f"sequence gap: expected {expected}, got {got}")
