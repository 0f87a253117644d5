"""The sending side of one server WebSocket, and the change signal behind `wait_for`.

State changes never await: they put frames into a socket's outbox, and one writer task per
socket sends them in order. A client that stops reading therefore never blocks the server,
and sequence numbers are assigned in exactly the order frames go out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket

from app.sim.model import SimModel, SocketRecord

log = logging.getLogger("app.sim.links")

_OUTBOX_LIMIT = 10_000  # frames; beyond this a stuck client loses relays, not the server


class ChangeSignal:
    """Wakes every waiter on each model mutation (an Event swapped per change: no lost
    wake-ups, and notify() can be called from plain synchronous code)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.version = 0

    def notify(self) -> None:
        self.version += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    @property
    def event(self) -> asyncio.Event:
        return self._event


@dataclass
class _Close:
    code: int
    reason: str


class SocketLink:
    """Outbox and writer task of one accepted WebSocket."""

    def __init__(self, record: SocketRecord, websocket: WebSocket, model: SimModel) -> None:
        self.record = record
        self.websocket = websocket
        self._model = model
        self._outbox: asyncio.Queue[str | _Close] = asyncio.Queue()
        self.closing = False
        self._overflow_logged = False
        self.writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.writer = asyncio.get_running_loop().create_task(self._run_writer())

    def push(self, data: dict[str, Any], headers: dict[str, Any] | None = None) -> None:
        """A server-originated frame: gets a fresh id and the next sequenceNumber."""
        if self.closing:
            return
        frame: dict[str, Any] = {"id": str(uuid.uuid4()), "sequenceNumber": 0}
        if headers is not None:
            frame["headers"] = headers
        frame["data"] = data
        if self._outbox.qsize() >= _OUTBOX_LIMIT:
            if not self._overflow_logged:
                log.warning("socket %s: outbox full, dropping frames", self.record.id)
                self._overflow_logged = True
            return
        frame["sequenceNumber"] = self.record.next_seq()
        self._outbox.put_nowait(json.dumps(frame, separators=(",", ":")))

    def reply(self, frame: dict[str, Any]) -> None:
        """An answer to a client frame (pong, subscription response, shutdown).

        Always with an `id`: the SDK's `_acknowledge` rejects a frame without one (fatal in
        Node), so a reply that lacks one gets a fresh one.
        """
        if "id" not in frame:
            frame = {"id": str(uuid.uuid4()), **frame}
        if not self.closing:
            # numbered like every other frame: the SDK's socket-base.js checks the
            # sequenceNumber of every frame it receives, pongs included
            frame = {**frame, "sequenceNumber": self.record.next_seq()}
            self._outbox.put_nowait(json.dumps(frame, separators=(",", ":")))

    def send_raw(self, text: str) -> None:
        """Any text as one frame, as sent by a broken or hostile server (bad-input tests)."""
        if not self.closing:
            self._outbox.put_nowait(text)

    def close(self, code: int, reason: str) -> None:
        """Queue a close frame after whatever is already queued."""
        if self.closing:
            return
        self.closing = True
        self._outbox.put_nowait(_Close(code, reason))

    async def _run_writer(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, _Close):
                    await self.websocket.close(item.code, item.reason)
                    return
                await self.websocket.send_text(item)
                self.record.frames_out += 1
                self._model.touch()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the peer is gone; the reader side cleans up
            log.debug("socket %s: writer stopped: %r", self.record.id, exc)

    async def finish(self, timeout: float = 1.0) -> None:
        """Let a queued close go out, then make sure the writer is gone."""
        if self.writer is None:
            return
        if not self.closing:
            self.writer.cancel()
        try:
            await asyncio.wait({self.writer}, timeout=timeout)
        finally:
            if not self.writer.done():
                self.writer.cancel()
