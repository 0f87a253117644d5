"""The window's live-session memory (issue 14): bounded over many captions and pings, and
still holding what Save session as scenario needs (actions, state changes, the first
caption after each action)."""

from __future__ import annotations

import sys
import time

from app.core.events import CoreEvent, EventKind, Hub
from app.core.incidents import Action
from app.scenario.from_session import scenario_from_session
from app.ui.session_memory import SessionMemory


def _ev(seq: int, kind: EventKind, channel: str, data: dict[str, object]) -> CoreEvent:
    return CoreEvent(seq, seq / 1000, time.time(), 1, channel, kind, str(kind), data)


def _size(memory: SessionMemory) -> int:
    held = [*memory.events, *memory.snapshots, *memory.actions]
    return sys.getsizeof(memory.events) + sum(sys.getsizeof(x) for x in held)


def test_memory_stays_bounded_over_200k_captions() -> None:
    hub = Hub()
    memory = SessionMemory(hub, server="window", profile="test")
    seq = 0
    for n in range(200_000):
        seq += 1
        ch = "default" if n % 2 else "practice"
        hub.emit(_ev(seq, EventKind.TRANSCRIPT, ch, {"final": True, "text": f"caption {n}"}))
        if n % 10 == 0:
            seq += 1
            hub.emit(_ev(seq, EventKind.RTT, ch, {"rtt_ms": 0.4}))
        if n == 1000:
            memory.action(Action(time.time(), "host", "rotate", {"channel": "default"}))
            seq += 1
            hub.emit(_ev(seq, EventKind.STATE, "default", {"state": "connecting"}))
    # two channels, one action: two captions before it, two after, and the state change
    assert [e.kind for e in memory.events].count(EventKind.TRANSCRIPT) == 4
    assert any(e.kind is EventKind.STATE for e in memory.events)
    assert memory.dropped == 200_000 - 4
    assert _size(memory) < 64_000, _size(memory)
    session = memory.session()
    assert len(session.actions) == 1
    assert "captions" in scenario_from_session(session)
    memory.close()
    hub.emit(_ev(seq + 1, EventKind.STATE, "default", {"state": "online"}))
    assert len(memory.events) == 5  # unsubscribed
