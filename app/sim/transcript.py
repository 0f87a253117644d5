"""Built-in caption text and the voicea relay payload (PROTOCOL.md section 5)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SENTENCES = (
    "Good morning everyone, thanks for joining.",
    "Let's start with a quick look at last quarter.",
    "And so the next slide shows the latency numbers per region.",
    "The data channel stayed online through the whole rehearsal.",
    "Could the panelists unmute for a moment, please?",
    "We will take questions at the end of the session.",
    "Reconnects are down by half since the last release.",
    "Please keep your questions in the chat for now.",
    "That covers the roadmap for the next two sprints.",
    "Thanks again, and see you all next week.",
)

VOICEA_FROM = "voicea"
MAX_PER_SECOND = 50.0


@dataclass
class TranscriptClock:
    """Running position in the fake speech, so start/end millis keep increasing."""

    millis: int = 0
    index: int = 0

    def next_payload(self) -> dict[str, Any]:
        text = SENTENCES[self.index % len(SENTENCES)]
        self.index += 1
        start = self.millis
        end = start + 250 * len(text.split())  # about four words a second
        self.millis = end + 200
        return {
            "type": "transcript_final_result",
            "transcript_id": str(uuid.uuid4()),
            "transcripts": [
                {
                    "start_millis": start,
                    "end_millis": end,
                    "text": text,
                    "transcript_language_code": "en",
                }
            ],
        }


def relay_data(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "eventType": "relay.event",
        "relayType": "voicea.transcription",
        "voiceaPayload": payload,
    }


async def run_ticker(
    per_second: float, clock: TranscriptClock, emit: Callable[[dict[str, Any]], None]
) -> None:
    """Emit one transcript payload every 1/per_second seconds until cancelled."""
    loop = asyncio.get_running_loop()
    interval = 1.0 / per_second
    due = loop.time() + interval
    while True:
        await asyncio.sleep(max(0.0, due - loop.time()))
        due = max(due + interval, loop.time())  # no burst of catch-up frames after a stall
        emit(clock.next_payload())
