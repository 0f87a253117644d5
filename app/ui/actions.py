"""Menus and keyboard shortcuts for the common actions (one place to read them all).

Takes the small `MenuHost` interface (parts.py), never the window class itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from app.core.events import ChannelName
from app.core.locus import DEFAULT_TOKEN, PRACTICE_TOKEN
from app.ui.about import show_about, show_glossary, show_shortcuts
from app.ui.confirm import KINDS
from app.ui.parts import MenuHost


def build_menus(w: MenuHost) -> dict[str, Any]:
    bar = w.menuBar()
    out: dict[str, Any] = {}

    def add(menu: Any, name: str, text: str, keys: str | None, slot: Callable[[], Any]) -> QAction:
        act = QAction(text, bar)
        act.setObjectName(f"act_{name}")
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
    record = QAction("Record session…", bar, checkable=True)
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
    for name, text, keys, kind in (
        ("refresh_default", "Refresh default token", "Ctrl+T", DEFAULT_TOKEN),
        ("refresh_practice", "Refresh practice token", "Ctrl+Shift+T", PRACTICE_TOKEN),
    ):
        add(meeting, name, text, keys, lambda k=kind: w.tokens.refresh(k))

    channels = bar.addMenu("&Channels")
    out["channels_menu"] = channels
    # menu entries that stand for a button: modes.py enables them as the button is
    buttons: dict[str, Any] = {}
    out["action_buttons"] = buttons
    for ch, key in ((ChannelName.DEFAULT, ""), (ChannelName.PRACTICE, "Shift+")):
        card = cards[ch]
        for verb, letter, button in (
            ("drop", "D", card.drop_button),
            ("reconnect", "R", card.reconnect_button),
            ("resubscribe", "U", card.resub_button),
        ):
            name = f"{verb}_{ch.value}"
            text = f"{verb.capitalize()} {ch.value}" + ("…" if verb == "drop" else "")
            add(channels, name, text, f"Ctrl+{key}{letter}", button.click)
            buttons[name] = button
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
        buttons[f"host_{name}"] = w.host.buttons[name]
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
    add(log, "follow", "Follow the newest event", None, lambda: w.shown_log.set_follow(True))

    view = bar.addMenu("&View")
    for dock in w.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    add(view, "reset_layout", "Reset layout", None, w.reset_layout)

    options = bar.addMenu("&Options")
    confirm = QAction("Confirm destructive actions", bar, checkable=True)
    confirm.setChecked(w.confirm.enabled)
    confirm.toggled.connect(w.confirm.set_enabled)
    w.confirm.changed.connect(confirm.setChecked)
    options.addAction(confirm)
    out["confirm"] = confirm
    ask = options.addMenu("Ask before")
    out["confirm_kinds"] = ask
    for kind, label in KINDS.items():
        act = QAction(label, bar, checkable=True)
        act.setObjectName(f"confirm_{kind}")
        act.setChecked(w.confirm.kind_enabled(kind))
        act.toggled.connect(lambda on, k=kind: w.confirm.set_kind_enabled(k, on))
        ask.addAction(act)
        out[f"confirm_{kind}"] = act

    def kind_changed(kind: str, on: bool) -> None:
        act = out.get(f"confirm_{kind}")
        if isinstance(act, QAction) and act.isChecked() != on:
            act.setChecked(on)

    w.confirm.kind_changed.connect(kind_changed)

    help_menu = bar.addMenu("&Help")
    shortcut_actions = [a for a in out.values() if isinstance(a, QAction)]
    add(
        help_menu,
        "shortcuts",
        "Keyboard shortcuts",
        "F1",
        lambda: show_shortcuts(bar.window(), shortcut_actions),
    )
    add(
        help_menu,
        "glossary",
        "Glossary of states and close codes",
        None,
        lambda: show_glossary(bar.window()),
    )
    add(help_menu, "about", "About dcmon", None, lambda: show_about(bar.window(), _backend(w)))
    return out


def _backend(w: MenuHost) -> str:
    backend = w.session.backend
    return backend.label if backend is not None else "-"
