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
SPEAKER_CSI = 1234  # the simulated host's csi (locus_view puts it in the roster)
MAX_PER_SECOND = 50.0


@dataclass
class TranscriptClock:
    """Running position in the fake speech, so start/end millis keep increasing."""

    millis: int = 0
    index: int = 0

    def next_payloads(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """One sentence as voicea sends it: an interim result, then the final one with the
        same `transcript_id` (a lone final throws in the SDK's `processNewCaptions`)."""
        text = SENTENCES[self.index % len(SENTENCES)]
        self.index += 1
        start = self.millis
        end = start + 250 * len(text.split())  # about four words a second
        self.millis = end + 200
        transcript_id = str(uuid.uuid4())
        words = text.split()
        partial = " ".join(words[: max(1, len(words) // 2)])
        return (
            _payload("transcript_interim_results", transcript_id, partial, start, end),
            _payload("transcript_final_result", transcript_id, text, start, end),
        )

    def next_payload(self) -> dict[str, Any]:
        """The final result alone (bench/_simproc.py relays at a fixed rate with it)."""
        return self.next_payloads()[1]


def _payload(kind: str, transcript_id: str, text: str, start: int, end: int) -> dict[str, Any]:
    return {
        "type": kind,
        "transcript_id": transcript_id,
        "transcripts": [
            {
                "start_millis": start,
                "end_millis": end,
                "text": text,
                "csis": [SPEAKER_CSI],  # the host's, in the locus roster: attributed
                "transcript_language_code": "en",
            }
        ],
    }


def announce_data() -> dict[str, Any]:
    """The `voicea.annc` relay (shape as traced, SDK_FLOW.md "captions")."""
    return {
        "eventType": "relay.event",
        "relayType": "voicea.annc",
        "voiceaPayload": {
            "version": "v2",
            "ASR": {"spoken_languages": ["en"]},
            "translation": {"allowed_languages": ["en", "es", "fr"], "max_languages": 5},
        },
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
        for payload in clock.next_payloads():
            emit(payload)
