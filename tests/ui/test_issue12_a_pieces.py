"""Issue 12, part A: the pieces that need no simulator (the log's follow, a card's size,
the small items, the cosmetic list, the import graph)."""

from __future__ import annotations

import asyncio
import re
import time

import grimp
import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CoreEvent,
    EventKind,
    MeetingSnapshot,
    TokenSnapshot,
)
from app.core.settings import profile
from app.ui import fmt
from app.ui.adapter import CoreBridge
from app.ui.confirm import Confirmer
from app.ui.panels.channels import CLOSE_CHOICES, ChannelCard, close_choice_label
from app.ui.panels.eventlog import EventLogPanel
from app.ui.session import Session
from app.ui.widgets import ElideLabel

HELPERS = ("app.ui.actions", "app.ui.recording_control", "app.ui.review", "app.ui.scenario_run")


def _ev(seq: int, channel: str = "default", kind: EventKind = EventKind.STATE) -> CoreEvent:
    return CoreEvent(seq, float(seq), time.time(), 1, channel, kind, f"event {seq}")


def _pump() -> None:
    for _ in range(3):
        QApplication.processEvents()


# -- item 5: the event log follows, and stays where the user put it -----------------------
def test_item5_log_follow_survives_filters_and_stops_when_scrolled_up(qapp: QApplication) -> None:
    log = EventLogPanel()
    log.resize(700, 300)
    log.show()
    try:
        bar = log.table.verticalScrollBar()
        channels = ("default", "practice", "device")
        log.on_events([_ev(i, channels[i % 3]) for i in range(1, 400)])
        log.model.flush()
        _pump()
        assert log.follow.isChecked() and bar.value() == bar.maximum() > 0
        # a filter change, then clearing the search: still following (the walkthrough bug)
        log.kind_box.setCurrentIndex(log.kind_box.findData("state"))
        log.search.setText("event 3")
        log.apply_search()
        _pump()
        log.search.clear()
        log.apply_search()
        _pump()
        assert log.follow.isChecked() and bar.value() == bar.maximum()
        log.on_events([_ev(i) for i in range(400, 450)])
        log.model.flush()
        _pump()
        assert bar.value() == bar.maximum()
        # the user scrolls up: following stops and the view stays put through new rows
        # and filter changes
        bar.setValue(bar.maximum() // 3)
        _pump()
        assert not log.follow.isChecked()
        where = bar.value()
        log.on_events([_ev(i) for i in range(450, 500)])
        log.model.flush()
        _pump()
        assert bar.value() == where
        log.heartbeats.setChecked(False)
        _pump()
        assert not log.follow.isChecked() and bar.value() < bar.maximum()
        # ticking follow (or scrolling to the end) follows again
        log.follow.setChecked(True)
        _pump()
        assert bar.value() == bar.maximum()
        log.on_events([_ev(i) for i in range(500, 520)])
        log.model.flush()
        _pump()
        assert bar.value() == bar.maximum()
    finally:
        log.close()


def test_item19_escape_clears_the_search(qapp: QApplication) -> None:
    log = EventLogPanel()
    log.on_events([_ev(1), _ev(2)])
    log.model.flush()
    log.search.setText("event 2")
    log.apply_search()
    assert log.proxy.rowCount() == 1
    QApplication.sendEvent(
        log.search,
        QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
    )
    assert log.search.text() == "" and log.proxy.rowCount() == 2


def test_cosmetic_channel_filter_is_alphabetical(qapp: QApplication) -> None:
    log = EventLogPanel()
    for ch in ("practice", "meeting", "default", "device", "http"):
        log.on_events([_ev(len(ch), ch)])
        log.model.flush()
        log._refresh_choices()
    items = [log.channel_box.itemData(i) for i in range(1, log.channel_box.count())]
    assert items == sorted(items) == ["default", "device", "http", "meeting", "practice"]


# -- item 9: a card keeps its size when an error appears ----------------------------------
def test_item9_a_card_does_not_grow_when_an_error_appears(
    qapp: QApplication, qsettings: QSettings
) -> None:
    host = QWidget()
    session = Session(CoreBridge(), profile("test"))
    card = ChannelCard(ChannelName.DEFAULT, session, Confirmer(host, qsettings), host)
    card.resize(300, 420)
    host.show()
    meeting = MeetingSnapshot("s", "test", "m-1", badge="Admitted")
    ok = ChannelSnapshot(ChannelName.DEFAULT, ChannelState.ONLINE, online_since=time.monotonic())
    card.update_view(ok, None, meeting)
    _pump()
    before = (card.sizeHint().height(), card.drop_button.y(), card.state.y())
    error = "registration refused: 403 forbidden " + "because the server said so " * 12
    card.update_view(
        ChannelSnapshot(ChannelName.DEFAULT, ChannelState.ERROR, last_error=error), None, meeting
    )
    _pump()
    assert (card.sizeHint().height(), card.drop_button.y(), card.state.y()) == before
    assert card.detail.text() == error and card.detail.toolTip() == error  # elided on screen
    assert card.detail.elided().endswith("…")
    host.close()


# -- item 19: smaller ones ----------------------------------------------------------------
def test_item19_not_wanted_says_why() -> None:
    ch = ChannelSnapshot(ChannelName.PRACTICE, detail="not wanted")
    lobby = MeetingSnapshot("s", "test", "m", badge="Lobby")
    admitted = MeetingSnapshot("s", "test", "m", badge="Admitted")
    practice = MeetingSnapshot("s", "test", "m", badge="Admitted", practice_enabled=True)
    assert "in the lobby" in fmt.detail_line(ChannelName.PRACTICE, ch, lobby)
    assert "no practice session running" in fmt.detail_line(ChannelName.PRACTICE, ch, admitted)
    assert "not a panelist" in fmt.detail_line(ChannelName.PRACTICE, ch, practice)
    left = MeetingSnapshot("s", "test", "m", badge="Left")
    assert "left the meeting" in fmt.detail_line(ChannelName.DEFAULT, ch, left)


async def test_item19_meeting_id_and_name_are_validated_in_the_panel(qsettings: QSettings) -> None:
    from app.ui.window import build_window

    w = build_window(qsettings, profile("test"), None)
    w.show()
    try:
        w.meeting.server.setText("http://127.0.0.1:9")
        for meeting, name, expected in (
            ("two words", "Ann", "not a meeting id"),
            ("room-1", "  ", "enter a display name"),
            ("", "Ann", "enter a meeting id"),
        ):
            w.meeting.meeting.setText(meeting)
            w.meeting.name.setText(name)
            w.meeting.join()
            task = next(iter(w.session._tasks), None)
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            await asyncio.sleep(0)  # the done callback
            assert expected in w.meeting.problem.text(), (meeting, name, w.meeting.problem.text())
    finally:
        w.close()
        await asyncio.wait_for(w.closed, 10)


async def test_item19_help_has_shortcuts_and_a_glossary(qsettings: QSettings) -> None:
    from app.ui.window import build_window

    w = build_window(qsettings, profile("test"), None)
    w.show()
    try:
        w.actions_by_name["shortcuts"].trigger()
        box = w.findChild(QMessageBox, "shortcutsBox")
        assert box is not None and "Ctrl+J" in box.text() and "Esc" in box.text()
        box.close()
        w.actions_by_name["glossary"].trigger()
        gloss = w.findChild(QMessageBox, "glossaryBox")
        assert gloss is not None
        for word in ("1006", "4001", "half", "Lobby", "reconnecting", "waiting"):
            assert word.lower() in gloss.text().lower(), word
        gloss.close()
    finally:
        w.close()
        await asyncio.wait_for(w.closed, 10)


async def test_item19_the_last_meeting_is_restored(qsettings: QSettings) -> None:
    from app.ui import main as ui_main
    from app.ui.window import MainWindow

    qsettings.setValue("join/meeting", "room-7")
    task = asyncio.ensure_future(
        ui_main._main(None, None, None, profile("test"), None, qsettings=qsettings)
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    w = None
    try:
        while w is None or not w.meeting.server.text():  # bounded poll: no bridge to wait on yet
            assert loop.time() < deadline and not task.done(), "window never became ready"
            await asyncio.sleep(0.02)
            w = next(
                (
                    x
                    for x in QApplication.topLevelWidgets()
                    if isinstance(x, MainWindow) and x.isVisible()
                ),
                None,
            )
        assert w.meeting.meeting.text() == "room-7"
        assert w.host.fallback_meeting == "room-7"
        state = await w.session.sim.state("room-7")  # the embedded simulator made it
        assert state.get("meetingId", "room-7") == "room-7"
    finally:
        if w is not None:
            w.close()
        await asyncio.wait_for(task, 20)


# -- item 8 (pure parts): token results belong to the token on screen -------------------
def test_item8_token_results() -> None:
    now = time.monotonic()
    held = TokenSnapshot("llm-default-session", "eyJh…", "join response", now)
    assert fmt.token_result(held) == "from the join response"
    gone = TokenSnapshot("llm-default-session", last_result="fetched", last_ok=True)
    assert fmt.token_result(gone) == "-"
    failed = TokenSnapshot("llm-default-session", last_result="403 forbidden", last_ok=False)
    assert fmt.token_result(failed) == "403 forbidden"
    cleared = TokenSnapshot(
        "llm-practice-session", last_result="cleared (not a panelist in a practice session)"
    )
    assert (
        fmt.token_result(cleared, practice_enabled=False) == "cleared: the practice session ended"
    )
    assert fmt.token_result(cleared, practice_enabled=True) == "cleared: no longer a panelist"
    closed = ChannelSnapshot(
        ChannelName.DEFAULT,
        ChannelState.CLOSED,
        last_rtt_ms=4.0,
        subscriptions=("transcription",),
        confirmed=("transcription",),
    )
    assert fmt.rtt_line(closed) == "" and fmt.subscriptions_line(closed) == "-"


# -- cosmetic ---------------------------------------------------------------------------
def test_cosmetic_drop_menu_says_each_thing_once() -> None:
    labels = [close_choice_label(c, r) for c, r in CLOSE_CHOICES]
    assert "1000 “idle” → reconnect (normal)" in labels
    assert "1001 “going away” → reconnect" in labels
    for label in labels:
        words = re.findall(r"[a-z]+", label.lower())
        assert len(words) == len(set(words)) or "reconnect" in label, label


def test_cosmetic_elided_labels_read_whole_or_end_in_an_ellipsis(qapp: QApplication) -> None:
    label = ElideLabel("transient → reconnect (normal reconnect after idle)")
    label.resize(60, 20)
    assert label.text().startswith("transient")  # text() is the whole text
    shown = label.elided()
    assert shown.endswith("…") and shown.startswith("tra")  # never "…econnect (norm"
    assert fmt.close_code(None) == "1006"


async def test_cosmetic_the_title_does_not_repeat_dcmon(qsettings: QSettings) -> None:
    from app.ui.window import build_window

    w = build_window(qsettings, profile("test"), None)
    try:
        w.on_snapshot(MeetingSnapshot("s", "test", "demo-1", badge="Lobby"))
        assert w.windowTitle() == "demo-1 · Lobby"  # Qt adds "— dcmon" (display name)
        w.on_snapshot(MeetingSnapshot("s", "test"))
        assert "dcmon" not in w.windowTitle()
    finally:
        w.close()
        await asyncio.wait_for(w.closed, 10)


# -- Also: no import circle between the window and its helpers --------------------------
def test_also_the_helpers_do_not_import_the_window() -> None:
    graph = grimp.build_graph("app", include_external_packages=False)
    for helper in HELPERS:
        chain = graph.find_shortest_chain(importer=helper, imported="app.ui.window")
        assert chain is None, f"{helper} reaches the window: {chain}"
    assert graph.find_shortest_chain(importer="app.ui.window", imported="app.ui.main") is None
    # and nothing the window imports leads back to it
    for module in graph.find_modules_directly_imported_by("app.ui.window"):
        if module.startswith("app."):
            back = graph.find_shortest_chain(importer=module, imported="app.ui.window")
            assert back is None, f"circle: app.ui.window -> {' -> '.join(back or ())}"


@pytest.mark.parametrize(
    "title,kind",
    [
        ("Drop default?", "drop"),
        ("Reset practice?", "fault"),
        ("Halfopen default?", "fault"),
        ("Run scenario?", "scenario"),
        ("Anything", "other"),
    ],
)
def test_item11_each_question_has_its_kind(title: str, kind: str) -> None:
    from app.ui.confirm import kind_of

    assert kind_of(title) == kind


def test_item8_counts_start_from_zero_in_the_next_meeting(
    qapp: QApplication, qsettings: QSettings
) -> None:
    from app.ui.panels.meeting import MeetingPanel

    session = Session(CoreBridge(), profile("test"))
    panel = MeetingPanel(session, qsettings)
    first = MeetingSnapshot("s", "test", "m-1", generation=1, badge="Lobby", keep_alives=5)
    panel.set_snapshot(first)
    assert "keep-alives 5" in panel.where.text()
    second = MeetingSnapshot("s", "test", "m-2", generation=2, badge="Lobby", keep_alives=5)
    panel.set_snapshot(second)
    assert "keep-alives" not in panel.where.text()  # none sent in this meeting yet
    panel.set_snapshot(
        MeetingSnapshot("s", "test", "m-2", generation=2, badge="Lobby", keep_alives=7)
    )
    assert "keep-alives 2" in panel.where.text()

    host = QWidget()
    card = ChannelCard(ChannelName.DEFAULT, session, Confirmer(host, qsettings), host)
    on = ChannelState.ONLINE
    m1 = MeetingSnapshot("s", "test", "m-1", generation=1, badge="Admitted")
    card.update_view(
        ChannelSnapshot(ChannelName.DEFAULT, on, connects=3, reconnects=2, registrations=3),
        None,
        m1,
    )
    assert card.counts.text().startswith("2 (3 connects, 3 reg.)")
    m2 = MeetingSnapshot("s", "test", "m-2", generation=2, badge="Admitted")
    card.update_view(
        ChannelSnapshot(ChannelName.DEFAULT, on, connects=3, reconnects=2, registrations=3),
        None,
        m2,
    )
    assert card.counts.text().startswith("0 (0 connects, 0 reg.)")
    card.update_view(
        ChannelSnapshot(ChannelName.DEFAULT, on, connects=4, reconnects=2, registrations=4),
        None,
        m2,
    )
    assert card.counts.text().startswith("0 (1 connects, 1 reg.)")
    # a new client counts from zero itself: no negative numbers
    card.update_view(
        ChannelSnapshot(ChannelName.DEFAULT, on, connects=1, registrations=1), None, m2
    )
    assert card.counts.text().startswith("0 (1 connects, 1 reg.)")


def test_item2_the_bridge_never_passes_a_code_none_on(qapp: QApplication) -> None:
    """Whatever the core says, what the panels, exports and recordings get is 1006."""
    from app.core.events import CloseInfo

    bridge = CoreBridge()
    got: list[CoreEvent] = []
    snaps: list[MeetingSnapshot] = []
    bridge.event.connect(got.append)
    bridge.snapshot.connect(snaps.append)
    raw = CoreEvent(
        7,
        1.0,
        time.time(),
        1,
        "default",
        EventKind.CLOSED,
        "closed None '' by server: transient -> reconnect",
        {"code": None, "reason": ""},
    )
    bridge._on_event(raw)
    assert got[-1].data["code"] == 1006 and got[-1].summary.startswith("closed 1006 ")
    lost = CloseInfo(None, "", "transient", "reconnect", 1.0)
    ch = ChannelSnapshot(ChannelName.DEFAULT, ChannelState.RECONNECTING, last_close=lost)
    bridge.publish(MeetingSnapshot("s", "test", "m", channels={ChannelName.DEFAULT: ch}))
    close = snaps[-1].channel(ChannelName.DEFAULT).last_close
    assert close is not None and close.code == 1006
    assert bridge.last_snapshot is snaps[-1]
    assert fmt.close_parts(snaps[-1].channel(ChannelName.DEFAULT))[0] == "1006 (no close frame)"


def test_item7_card_memory_knows_when_the_last_frame_and_pong_came() -> None:
    from app.ui.panels.card_state import CardState

    mem = CardState()
    on = ChannelState.ONLINE
    mem.track(ChannelSnapshot(ChannelName.DEFAULT, on, frames_in=3, last_rtt_ms=2.0), 1, now=10.0)
    mem.track(ChannelSnapshot(ChannelName.DEFAULT, on, frames_in=5, last_rtt_ms=2.5), 1, now=11.0)
    assert (mem.last_frame_at, mem.last_pong_at) == (11.0, 11.0)
    # half-open: nothing more arrives; the ping goes out 0.5 s after the last pong
    text, late = fmt.liveness_line(13.0, mem.last_frame_at, mem.last_pong_at, 0.5)
    assert text == "last frame 2.0 s ago · pong outstanding 1.5 s" and late
    text, late = fmt.liveness_line(11.3, mem.last_frame_at, mem.last_pong_at, 0.5)
    assert text.endswith("pong ok") and not late
    mem.track(ChannelSnapshot(ChannelName.DEFAULT, ChannelState.RECONNECTING), 1, now=14.0)
    assert mem.last_frame_at is None and mem.last_pong_at is None
