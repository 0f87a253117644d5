"""Menus and keyboard shortcuts for the common actions (one place to read them all)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence

from app.core.events import ChannelName
from app.core.locus import DEFAULT_TOKEN, PRACTICE_TOKEN
from app.ui.about import show_about

if TYPE_CHECKING:
    from app.ui.window import MainWindow


def build_menus(w: MainWindow) -> dict[str, Any]:
    bar = w.menuBar()
    out: dict[str, Any] = {}

    def add(menu: Any, name: str, text: str, keys: str | None, slot: Callable[[], Any]) -> QAction:
        act = QAction(text, w)
        if keys:
            act.setShortcut(QKeySequence(keys))
        act.triggered.connect(lambda _=False: slot())
        menu.addAction(act)
        out[name] = act
        return act

    cards = w.channels.cards
    file_menu = bar.addMenu("&File")
    # Ctrl+R is Reconnect default (Channels menu), hence Ctrl+Alt+R
    add(file_menu, "run_scenario", "Run scenario…", "Ctrl+Alt+R", w.scenario.choose_file)
    record = QAction("Record session…", w, checkable=True)
    record.setShortcut(QKeySequence("Ctrl+Shift+S"))
    record.triggered.connect(w.recording.toggle)  # checked: ask for a file; unchecked: stop
    w.recording.action = record
    file_menu.addAction(record)
    out["record_session"] = record
    add(file_menu, "open_session", "Open session…", "Ctrl+O", w.review.choose_file)
    add(file_menu, "back_to_live", "Back to live", "Ctrl+Shift+B", w.review.back_to_live)
    file_menu.addSeparator()
    # the log on screen: the review copy while reviewing
    add(
        file_menu,
        "export_log",
        "Export event log…",
        "Ctrl+E",
        lambda: w.shown_log._ask_path("jsonl"),
    )
    add(
        file_menu,
        "export_csv",
        "Export latency CSV…",
        "Ctrl+Shift+E",
        lambda: w.shown_log._ask_path("csv"),
    )
    file_menu.addSeparator()
    add(file_menu, "quit", "Quit (leaves the meeting)", "Ctrl+Q", w.close)

    meeting = bar.addMenu("&Meeting")
    out["meeting_menu"] = meeting
    add(meeting, "join", "Join", "Ctrl+J", w.meeting.join)
    add(meeting, "leave", "Leave", "Ctrl+Shift+L", w.meeting.leave)
    meeting.addSeparator()
    add(
        meeting,
        "refresh_default",
        "Refresh default token",
        "Ctrl+T",
        lambda: w.tokens.refresh(DEFAULT_TOKEN),
    )
    add(
        meeting,
        "refresh_practice",
        "Refresh practice token",
        "Ctrl+Shift+T",
        lambda: w.tokens.refresh(PRACTICE_TOKEN),
    )

    channels = bar.addMenu("&Channels")
    out["channels_menu"] = channels
    for ch, key in ((ChannelName.DEFAULT, ""), (ChannelName.PRACTICE, "Shift+")):
        card = cards[ch]
        add(
            channels,
            f"drop_{ch.value}",
            f"Drop {ch.value}",
            f"Ctrl+{key}D",
            lambda c=card: c.drop_button.click(),
        )
        add(
            channels,
            f"reconnect_{ch.value}",
            f"Reconnect {ch.value}",
            f"Ctrl+{key}R",
            lambda c=ch: w.session.reconnect(c),
        )
        add(
            channels,
            f"resubscribe_{ch.value}",
            f"Resubscribe {ch.value}",
            f"Ctrl+{key}U",
            lambda c=ch: w.session.resubscribe(c),
        )
        channels.addSeparator()

    host = bar.addMenu("&Host")
    out["host_menu"] = host
    host.setEnabled(False)
    for name, text, keys in (
        ("Admit", "Admit", "Ctrl+Shift+A"),
        ("Promote", "Promote to panelist", "Ctrl+Shift+P"),
        ("Practice on", "Practice session on", "Ctrl+Shift+O"),
        ("Practice off", "Practice session off", "Ctrl+Alt+O"),
    ):
        add(host, f"host_{name}", text, keys, lambda n=name: w.host.buttons[n].click())
    add(host, "host_reset", "Reset all faults", "Ctrl+Shift+F", w.host.reset_faults)

    log = bar.addMenu("&Log")
    add(
        log,
        "find",
        "Search the log",
        "Ctrl+F",
        lambda: (w.shown_log.search.setFocus(), w.shown_log.search.selectAll()),
    )
    add(
        log,
        "pause",
        "Pause / resume the log view",
        "Ctrl+P",
        lambda: w.shown_log.set_paused(not w.shown_log.model.paused),
    )
    add(
        log,
        "heartbeats",
        "Show / hide heartbeats",
        "Ctrl+H",
        lambda: w.shown_log.heartbeats.toggle(),
    )

    view = bar.addMenu("&View")
    for dock in w.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    add(view, "reset_layout", "Reset layout", None, w.reset_layout)

    options = bar.addMenu("&Options")
    confirm = QAction("Confirm destructive actions", w, checkable=True)
    confirm.setChecked(w.confirm.enabled)
    confirm.toggled.connect(w.confirm.set_enabled)
    w.confirm.changed.connect(confirm.setChecked)
    options.addAction(confirm)
    out["confirm"] = confirm

    help_menu = bar.addMenu("&Help")
    add(help_menu, "about", "About dcmon", None, lambda: show_about(w, w.windowTitle()))
    return out
