"""One connection's view of its channel: every report says which socket it comes from, so a
replacement (shutdown switchover) and the socket it replaces never mix their reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core import protocol as p
from app.core.connection import Connection, Listener

if TYPE_CHECKING:
    from app.core.channel import Channel


class Tap(Listener):
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.conn: Connection | None = None

    def _active(self) -> bool:
        return self.conn is not None and self.conn is self.channel._conn

    def frame_counts(self, frames_in: int, frames_out: int) -> None:
        if self._active():
            self.channel.frame_counts(frames_in, frames_out)

    def authorizing(self) -> None:
        if self._active():
            self.channel.authorizing()

    def online(self, connect_ms: float) -> None:
        assert self.conn is not None
        self.channel.conn_online(self.conn, connect_ms)

    def rtt(self, ms: float) -> None:
        if self._active():
            self.channel.rtt(ms)

    def frame(self, frame: p.Frame) -> None:
        if self._active() or isinstance(frame, p.Relay):  # a draining socket's relays count
            self.channel.frame(frame)

    def bad_input(self, message: str) -> None:
        self.channel.bad_input(message)

    def sequence_gap(self, expected: int, got: int) -> None:
        if self._active():
            self.channel.sequence_gap(expected, got)

    def shutdown(self) -> None:
        if self._active() and self.conn is not None:
            self.channel.shutdown_frame(self.conn)

    def missing_id(self, what: str) -> None:
        self.channel.missing_id(what)
