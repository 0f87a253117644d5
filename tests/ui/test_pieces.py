"""Pure pieces behind the panels: ring buffers, text formatting, redaction, the log model."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CloseInfo,
    CoreEvent,
    EventKind,
)
from app.ui import fmt
from app.ui.eventmodel import EventFilter, EventModel
from app.ui.redact import redact, redact_text
from app.ui.ring import Ring

JWT = (
    "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3NjQxMDAwMDAsInN1YiI6InAxIn0."
    "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)


def ev(seq: int, kind: EventKind = EventKind.STATE, channel: str = "default", s: str = "x"):
    return CoreEvent(seq, float(seq), time.time(), 1, channel, kind, s, {})


def test_ring_keeps_the_newest_in_order_without_copying() -> None:
    r = Ring(4)
    assert r.arrays()[0].size == 0 and r.last is None and r.percentiles(50) is None
    for i in range(10):
        r.append(float(i), float(i * 10))
    x, y = r.arrays()
    assert x.tolist() == [6.0, 7.0, 8.0, 9.0] and y.tolist() == [60.0, 70.0, 80.0, 90.0]
    assert np.shares_memory(x, r._x)  # a view, not a copy
    assert r.last == 90.0 and len(r) == 4 and r.total == 10
    p50, p95 = r.percentiles(50, 95)
    assert p50 == 75.0 and 88.0 < p95 <= 90.0
    with pytest.raises(ValueError):
        x[0] = 1.0  # read-only: the paint path cannot corrupt the buffer


def test_state_lines_read_like_the_sketch() -> None:
    now = 1000.0
    online = ChannelSnapshot(ChannelName.DEFAULT, ChannelState.ONLINE, online_since=now - 252)
    assert fmt.state_line(online, now) == "online 4m12s"
    retry = ChannelSnapshot(
        ChannelName.PRACTICE, ChannelState.RECONNECTING, attempt=3, next_retry_at=now + 2.04
    )
    assert fmt.state_line(retry, now) == "reconnecting in 2.0 s (attempt 3)"
    closed = ChannelSnapshot(
        ChannelName.DEFAULT,
        last_close=CloseInfo(
            4000, "replaced", "replaced by another connection", "stay offline (replaced)", now
        ),
    )
    assert fmt.close_parts(closed) == (
        "4000 “replaced”",
        "replaced by another connection → stay offline (replaced)",
    )
    subs = ChannelSnapshot(
        ChannelName.DEFAULT,
        ChannelState.ONLINE,
        subscriptions=("transcription",),
        confirmed=(),
    )
    assert fmt.subscriptions_line(subs) == "transcription (pending)"
    assert fmt.clock(3723) == "1:02:03" and fmt.clock(-5) == "-00:05"
    assert fmt.shorten("x" * 100, 20) == "x" * 9 + "…" + "x" * 10


def test_redaction_masks_tokens_anywhere() -> None:
    line = f"register refused, header was {JWT} and Bearer my-user-token-123"
    out = redact_text(line)
    assert JWT not in out and "my-user-token-123" not in out
    assert "eyJh…" in out and "Bearer" in out
    data: dict[str, Any] = {
        "token": "a-long-opaque-secret-value",
        "token_type": "llm-default-session",
        "nested": [{"url": f"https://h/x?t={JWT}"}],
    }
    red = redact(data)
    assert red["token"] != data["token"] and red["token_type"] == "llm-default-session"
    assert JWT not in str(red)


def test_event_model_is_bounded_and_pause_loses_nothing(qapp: Any) -> None:
    model = EventModel(capacity=100)
    for i in range(150):
        model.add(ev(i))
    model.flush()
    assert model.rowCount() <= 110 and model.trimmed >= 40
    assert model.event_at(model.rowCount() - 1).seq == 149  # the newest is kept
    model.set_paused(True)
    for i in range(150, 160):
        model.add(ev(i))
    model.flush()
    rows = model.rowCount()
    assert [e.seq for e in model.pending] == list(range(150, 160))
    model.set_paused(False)
    assert model.rowCount() == rows + 10 and not model.pending
    assert [e.seq for e in model.all_events()][-1] == 159


def test_event_filter_by_channel_type_text_and_heartbeats(qapp: Any) -> None:
    model = EventModel()
    proxy = EventFilter()
    proxy.setSourceModel(model)
    for e in (
        ev(1, EventKind.RTT, "default", "rtt 0.4 ms"),
        ev(2, EventKind.CLOSED, "default", "closed 1006"),
        ev(3, EventKind.ONLINE, "practice", "online in 4 ms"),
        ev(4, EventKind.TRANSCRIPT, "practice", "hello there"),
    ):
        model.add(e)
    model.flush()
    assert proxy.rowCount() == 3  # heartbeats hidden by default
    proxy.set_filter(hide_heartbeats=False)
    assert proxy.rowCount() == 4
    proxy.set_filter(channel="practice")
    assert proxy.rowCount() == 2
    proxy.set_filter(kind="online")
    assert proxy.rowCount() == 1
    proxy.set_filter(channel=None, kind=None, text="CLOSED 10")
    assert proxy.rowCount() == 1 and proxy.index(0, 3).data() == "closed 1006"
    proxy.set_filter(text="", hide_transcripts=True)
    assert proxy.rowCount() == 3


def test_about_shows_the_version_from_pyproject() -> None:
    import tomllib
    from pathlib import Path

    from app.ui.about import about_text

    version = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"][
        "version"
    ]
    assert f"dcmon {version}" in about_text("embedded simulator")
