"""The window under load: the event log spills to disk and searches fast, captions arrive in
batches, channel cards touch only what changed, snapshots and redraws are paced.

Waits are conditions with deadlines (qtbot.waitUntil on Qt timers; no asyncio here).
"""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CoreEvent,
    EventKind,
    MeetingSnapshot,
)
from app.ui.adapter import CoreBridge
from app.ui.eventmodel import EventFilter, EventModel
from app.ui.frames import Frames
from app.ui.panels.captions import MAX_LINES, CaptionsPanel
from app.ui.panels.eventlog import SEARCH_MS, EventLogPanel
from app.ui.panels.latency import follow_x_range, nice_ceiling

SECRET = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def stream(n: int, start: int = 1) -> Iterator[CoreEvent]:
    """Transcripts and state lines on two channels; every 1000th carries a token to redact."""
    t0 = time.time()
    for seq in range(start, start + n):
        ch = "default" if seq % 2 else "practice"
        if seq % 1000 == 0:
            yield CoreEvent(
                seq, seq / 1e3, t0, 1, ch, EventKind.ERROR, f"refused, header Bearer {SECRET}", {}
            )
        elif seq % 10 == 0:
            yield CoreEvent(seq, seq / 1e3, t0, 1, ch, EventKind.STATE, "online", {"n": seq})
        else:
            text = f"caption {seq} about the next slide"
            yield CoreEvent(
                seq, seq / 1e3, t0, 1, ch, EventKind.TRANSCRIPT, text, {"text": text, "final": True}
            )


# -- event log: spill, export, search -------------------------------------------------------
@pytest.mark.timeout(240)
def test_a_million_events_spill_to_disk_in_bounded_memory_and_export_in_order(
    qapp: Any, tmp_path: Path
) -> None:
    panel = EventLogPanel(capacity=20_000)
    model = panel.model
    model._flush.stop()  # flushed by hand below, as the timer would
    gc.collect()
    at_200k = 0.0
    for seq, ev in enumerate(stream(1_000_000), 1):
        model.add(ev)
        if seq % 400 == 0:
            model.flush()
            if seq == 200_000:
                gc.collect()
                at_200k = rss_mb()
    model.flush()
    gc.collect()
    grown = rss_mb() - at_200k
    # memory: the newest 20k in memory, the other 980k on disk; 800k more events cost nothing
    assert model.rowCount() <= model.capacity + model.trim_chunk
    assert model.trimmed == model.spill.count == 1_000_000 - model.rowCount()
    assert grown < 15, f"RSS grew {grown:.1f} MB between 200k and 1M events"
    spill = model.spill.path
    assert spill is not None and spill.stat().st_size > 20 * 2**20  # really on disk

    # every event is still reachable, oldest first
    seqs = [e.seq for e in model.all_events()]
    assert seqs == list(range(1, 1_000_001))

    # export (no filter but the default "hide heartbeats": none here): all, in order, redacted
    out = tmp_path / "all.jsonl"
    assert panel.export_jsonl(out) == 1_000_000
    last = 0
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            assert line.startswith('{"seq": ') and SECRET not in line
            seq = int(line[8 : line.index(",")])
            assert seq == last + 1
            last = seq
    assert last == 1_000_000
    assert json.loads(line)["seq"] == 1_000_000  # and the lines are JSON

    # the spill file goes with the log
    model.close()
    assert not spill.exists() and not spill.parent.exists()


def test_search_is_one_pass_over_the_rows_and_matches_the_old_semantics(qapp: Any) -> None:
    model = EventModel(capacity=1_000)
    proxy = EventFilter()
    proxy.setSourceModel(model)
    model.add_many(stream(1_500))  # 500 of them spill: the view shows the newest 1000
    model.flush()
    held = list(model.all_events())[-model.rowCount() :]
    plain = {"text": "", "channel": None, "kind": None, "hide_transcripts": False}
    for kwargs in (
        {"text": "SLIDE"},
        {"text": "practice state onl"},
        {"channel": "default"},
        {"kind": "state", "hide_heartbeats": False},
        {"hide_transcripts": True},
        {"text": "refused", "channel": "practice", "kind": "error"},
    ):
        proxy.set_filter(**{**plain, **kwargs})
        want = [e.seq for e in held if proxy.accepts(e)]
        got = [proxy.event_at(r).seq for r in range(proxy.rowCount())]
        assert got == want and got, kwargs
    # new rows are filtered as they arrive; trimmed ones leave the view from the top
    proxy.set_filter(text="", channel="practice", kind=None, hide_transcripts=False)
    model.add_many(stream(600, start=1_501))
    model.flush()
    shown = [proxy.event_at(r).seq for r in range(proxy.rowCount())]
    assert shown == sorted(shown) and shown[-1] == 2_100
    assert all(s % 2 == 0 for s in shown)
    assert shown[0] >= 2_100 - model.rowCount()
    assert proxy.index(0, 1).data() == "practice"


def test_search_box_waits_for_a_pause_in_typing(qapp: Any, qtbot: Any) -> None:
    panel = EventLogPanel()
    qtbot.addWidget(panel)
    panel.model.add_many(stream(3_000))
    panel.model.flush()
    before = panel.proxy.rebuilds
    for i in range(1, 6):  # five keystrokes in quick succession: nothing is filtered yet
        panel.search.setText("slide"[:i])
        assert panel.proxy.text == "" and panel.proxy.rebuilds == before
    t0 = time.monotonic()
    qtbot.waitUntil(lambda: panel.proxy.text == "slide", timeout=3_000)
    assert time.monotonic() - t0 >= SEARCH_MS / 1000 * 0.8
    assert panel.proxy.rebuilds == before + 1  # one search for the whole word
    assert 0 < panel.proxy.rowCount() < panel.model.rowCount()
    # Enter applies at once; the other filters never wait
    panel.search.setText("caption 2999")
    panel.search.returnPressed.emit()
    assert [panel.proxy.event_at(r).seq for r in range(panel.proxy.rowCount())] == [2_999]
    panel.search.clear()
    panel.search.returnPressed.emit()
    panel.channel_box.addItem("practice", "practice")
    panel.channel_box.setCurrentIndex(panel.channel_box.findData("practice"))
    assert panel.proxy.channel == "practice"


def test_export_redacts_exactly_as_redact_does(qapp: Any) -> None:
    from app.ui.panels.eventlog import redacted
    from app.ui.redact import redact

    samples = [
        CoreEvent(1, 0.5, 1.0, 1, "default", EventKind.ERROR, f"Bearer {SECRET}", {}),
        CoreEvent(
            2,
            0.25,
            2.0,
            1,
            "token",
            EventKind.TOKEN,
            "refreshed",
            {"token": "a-long-opaque-secret-value", "nested": [{"url": f"https://h/x?t={SECRET}"}]},
        ),
        *stream(30),
    ]
    for ev in samples:
        assert redacted(ev) == redact(ev.to_json())
    assert SECRET not in json.dumps([redacted(ev) for ev in samples])


# -- captions -------------------------------------------------------------------------------
def captions(n: int, start: int = 1) -> list[CoreEvent]:
    out = []
    for seq in range(start, start + n):
        ch = "default" if seq % 2 else "practice"
        data = {"text": f"line {seq}", "final": True}
        out.append(CoreEvent(seq, 0.0, time.time(), 1, ch, EventKind.TRANSCRIPT, "", data))
    return out


def test_captions_from_two_channels_arrive_in_batches_all_in_order_and_bounded(
    qapp: Any, qtbot: Any
) -> None:
    panel = CaptionsPanel()
    qtbot.addWidget(panel)
    panel.show()
    # 600 captions in 25 ms chunks (2 x 2000/s), then let the panel catch up
    for chunk in range(20):
        panel.on_events(captions(30, start=1 + chunk * 30))
    qtbot.waitUntil(lambda: sum(panel.counts.values()) == 600, timeout=3_000)
    lines = panel.shown_lines()
    assert [int(line.rsplit(" ", 1)[1]) for line in lines] == list(range(1, 601))
    assert {line.split()[1] for line in lines} == {"default", "practice"}
    assert panel.counts == {"default": 300, "practice": 300}
    assert panel.batches <= 5  # one document edit per batch, not one per caption
    # beyond the bound the oldest lines go, the rest stays in order
    for chunk in range(100):
        panel.on_events(captions(30, start=601 + chunk * 30))
    qtbot.waitUntil(lambda: sum(panel.counts.values()) == 3_600, timeout=5_000)
    lines = panel.shown_lines()
    assert len(lines) == MAX_LINES
    assert [int(line.rsplit(" ", 1)[1]) for line in lines] == list(range(3_601 - MAX_LINES, 3_601))
    assert panel.counts == {"default": 1_800, "practice": 1_800}
    qtbot.waitUntil(lambda: "practice: 1800 captions" in panel.status.text(), timeout=2_000)


# -- channel cards ------------------------------------------------------------------------------
def test_channel_card_restyles_and_relabels_only_what_changed(qapp: Any, qtbot: Any) -> None:
    from PySide6.QtCore import QSettings

    from app.core.settings import profile
    from app.ui.adapter import CoreBridge
    from app.ui.confirm import Confirmer
    from app.ui.panels.channels import ChannelCard
    from app.ui.session import Session

    session = Session(CoreBridge(), profile("test"), None)
    card = ChannelCard(ChannelName.DEFAULT, session, Confirmer(None, QSettings()))  # type: ignore[arg-type]
    qtbot.addWidget(card)
    calls: dict[str, int] = {"style": 0, "text": 0}

    def count(kind: str, original: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            calls[kind] += 1
            return original(*args)

        return wrapper

    card.light.setStyleSheet = count("style", card.light.setStyleSheet)  # type: ignore[method-assign]
    card.detail.setStyleSheet = count("style", card.detail.setStyleSheet)  # type: ignore[method-assign]
    for label in (card.counts, card.subs, card.timing, card.rtt):
        label.setText = count("text", label.setText)  # type: ignore[method-assign]
    online = ChannelSnapshot(
        ChannelName.DEFAULT,
        ChannelState.ONLINE,
        online_since=time.monotonic(),
        subscriptions=("transcription",),
        confirmed=("transcription",),
    )
    card.update_view(online)
    assert calls["style"] >= 1 and card.state.text().startswith("online")
    styled, texts = calls["style"], calls["text"]
    for n in range(200):  # what a busy channel sends: only frame counters change
        card.update_view(ChannelSnapshot(**{**vars(online), "frames_in": n, "frames_out": n // 2}))
    assert calls["style"] == styled  # the light did not re-polish 200 times
    assert calls["text"] == texts  # nor were unchanged labels set again
    assert card.frames.text() == "in 199 / out 99"
    card.update_view(ChannelSnapshot(**{**vars(online), "state": ChannelState.RECONNECTING}))
    assert calls["style"] == styled + 1


# -- pacing -------------------------------------------------------------------------------------
def snapshot(frames_in: int, state: ChannelState = ChannelState.ONLINE) -> MeetingSnapshot:
    ch = ChannelSnapshot(ChannelName.DEFAULT, state, frames_in=frames_in)
    return MeetingSnapshot("s", "test", meeting_id="m", channels={ChannelName.DEFAULT: ch})


def test_counter_only_snapshots_are_coalesced_and_news_shows_at_once(qapp: Any, qtbot: Any) -> None:
    bridge = CoreBridge()
    shown: list[MeetingSnapshot] = []
    every: list[MeetingSnapshot] = []
    bridge.shown_snapshot.connect(shown.append)
    bridge.snapshot.connect(every.append)
    for n in range(300):
        bridge.publish(snapshot(n))
    assert len(every) == 300 and len(shown) == 1  # the first shows at once, the rest wait
    qtbot.waitUntil(lambda: shown[-1].channel("default").frames_in == 299, timeout=2_000)
    assert len(shown) <= 3  # latest wins
    bridge.publish(snapshot(300, ChannelState.RECONNECTING))  # news: no waiting
    assert shown[-1].channel("default").state is ChannelState.RECONNECTING
    assert bridge.last_snapshot is every[-1]


def test_events_cross_the_bridge_in_batches(qapp: Any, qtbot: Any) -> None:
    bridge = CoreBridge()
    batches: list[list[CoreEvent]] = []
    singles: list[CoreEvent] = []
    bridge.events.connect(batches.append)
    bridge.event.connect(singles.append)
    sent = captions(500)
    for ev in sent:
        bridge._on_event(ev)
    assert singles == sent and not batches  # listeners hear each one; the panels later
    qtbot.waitUntil(lambda: sum(map(len, batches)) == 500, timeout=2_000)
    assert len(batches) == 1 and batches[0] == sent


def test_frames_give_each_job_a_slot_of_its_own(qapp: Any, qtbot: Any) -> None:
    clock = Frames(slot_ms=5)
    ran: list[tuple[str, int]] = []
    turns = {"n": 0}
    counter = Frames(slot_ms=1)  # counts loop turns meanwhile

    def tick() -> None:
        turns["n"] += 1
        counter.request(tick)

    counter.request(tick)

    def job(name: str) -> Any:
        return lambda: ran.append((name, turns["n"]))

    jobs = [job("captions"), job("log"), job("plots")]
    for j in jobs:
        clock.request(j)
        clock.request(j)  # asking twice is asking once
    qtbot.waitUntil(lambda: len(ran) == 3, timeout=2_000)
    assert [name for name, _ in ran] == ["captions", "log", "plots"]
    assert len({turn for _, turn in ran}) == 3  # three different loop turns
    counter.cancel(tick)


def test_follow_moves_the_time_axis_in_steps_and_y_to_round_ceilings() -> None:
    ranges = {follow_x_range(1000.0, now, now, 60.0) for now in (1100.0 + i / 4 for i in range(8))}
    assert len(ranges) == 1  # two seconds of samples, one range
    start, end = ranges.pop()
    assert end - start == 60.0 and start <= 1100.0 <= end
    # "all": from the first sample, recorded sessions included (not relative to now)
    start, end = follow_x_range(1000.0, 1500.0, 9999.0, 0.0)
    assert start <= 1000.0 and 1500.0 <= end < 1600.0
    # a young session shows at least 30 s, never minutes of empty axis
    start, end = follow_x_range(1000.0, 1002.0, 1002.0, 900.0)
    assert 30.0 <= end - start < 60.0
    assert [nice_ceiling(v) for v in (0.0, 0.7, 1.0, 1.3, 3.3, 7.0, 42.0)] == [
        1.0,
        1.0,
        1.0,
        2.0,
        5.0,
        10.0,
        50.0,
    ]


async def test_export_from_the_menu_runs_in_slices_and_writes_the_same_file(
    qapp: Any, tmp_path: Path
) -> None:
    import asyncio

    panel = EventLogPanel(capacity=2_000)  # 18k of the 20k spilled
    panel.model.add_many(stream(20_000))
    panel.model.flush()
    turns = 0

    async def other_work() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0.005)

    task = asyncio.ensure_future(other_work())
    try:
        n = await panel.export_jsonl_async(tmp_path / "sliced.jsonl")
    finally:
        task.cancel()
    assert n == panel.export_jsonl(tmp_path / "at_once.jsonl") == 20_000
    assert (tmp_path / "sliced.jsonl").read_bytes() == (tmp_path / "at_once.jsonl").read_bytes()
    assert turns >= 5  # the loop kept turning while it wrote
    assert panel.count.text().startswith("exported 20000 rows")
    panel.model.close()
