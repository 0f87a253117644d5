"""voicea, simulated: caption tickers per meeting, the announce reply, and transcription
relays to subscribed sockets of meetings whose captions are on (PROTOCOL.md section 5)."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from app.sim.links import SocketLink
from app.sim.model import SimModel
from app.sim.transcript import (
    VOICEA_FROM,
    TranscriptClock,
    announce_data,
    relay_data,
    run_ticker,
)


class Voicea:
    def __init__(self, model: SimModel, links: dict[str, SocketLink]) -> None:
        self.model = model
        self.links = links  # the engine's: socket id -> live link
        self.tickers: dict[str, asyncio.Task[None]] = {}
        self.clocks: dict[str, TranscriptClock] = {}  # per meeting: the fake speech so far

    def start(self, meeting_id: str, per_second: float) -> None:
        """(Re)start a meeting's ticker at this rate; 0 stops it."""
        self.stop(meeting_id)
        if per_second > 0:
            clock = self.clocks.setdefault(meeting_id, TranscriptClock())
            ticker = run_ticker(per_second, clock, partial(self.relay, meeting_id))
            self.tickers[meeting_id] = asyncio.get_running_loop().create_task(ticker)

    def stop(self, meeting_id: str) -> None:
        task = self.tickers.pop(meeting_id, None)
        if task is not None:
            task.cancel()

    def stop_all(self) -> None:
        for meeting_id in list(self.tickers):
            self.stop(meeting_id)

    def announce(self, link: SocketLink) -> None:
        """The answer to a client's `client.annc` publishRequest (SDK `voicea.ts`)."""
        link.push(announce_data(), headers={"from": VOICEA_FROM})

    def relay(self, meeting_id: str, payload: dict[str, Any]) -> None:
        """One transcript to every socket of the meeting that takes it, while the meeting's
        captions are on ([ours]: a real voicea sends only then). A socket that declared
        `transcription` subscription-aware takes it once subscribed; one that did not (the
        SDK with the JWT feature off declares nothing and never subscribes: llm.ts,
        voicea.ts updateSubchannelSubscriptions) takes it as a non-aware client would."""
        m = self.model.meetings.get(meeting_id)
        if m is None or not m.captions:
            return
        data = relay_data(payload)
        for record in list(self.model.sockets.values()):
            if (
                record.meeting_id == meeting_id
                and record.channel in ("default", "practice")
                and ("transcription" in record.subscriptions or "transcription" not in record.aware)
            ):
                link = self.links.get(record.id)
                if link is not None:
                    link.push(data, headers={"from": VOICEA_FROM})
