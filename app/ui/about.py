"""Help menu: About (version, backend), keyboard shortcuts, a glossary of states and close codes.

Dialogs open with open(), never exec() under qasync. The shortcut list is made from the
menu actions themselves, so it cannot drift from what the keys really do.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6 import __version__ as pyside_version
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from app import __version__
from app.core.events import ChannelState

# what each card state means, in a tester's words
STATE_GLOSSARY: dict[ChannelState, str] = {
    ChannelState.OFFLINE: "no socket and none wanted (not joined, or not eligible)",
    ChannelState.WAITING: "wanted, but a prerequisite is missing (practice waits for default)",
    ChannelState.FETCHING_TOKEN: "asking the meeting for a datachannel token",
    ChannelState.REGISTERING: "POST to the registration URL for a socket URL and binding",
    ChannelState.CONNECTING: "opening the WebSocket",
    ChannelState.AUTHORIZING: "socket open, authorization sent, waiting for buffer state",
    ChannelState.ONLINE: "authorized and receiving; pings every interval",
    ChannelState.RECONNECTING: "closed by a transient cause: retrying with backoff",
    ChannelState.REPLACED: "another connection took this one's place: stays offline",
    ChannelState.CLOSED: "permanent close: stays offline until wanted again",
    ChannelState.ERROR: "gave up (refused twice): stays offline until the next chance",
}
BADGE_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Not joined", "no meeting"),
    ("Lobby", "waiting for the host to admit; lobby keep-alives run"),
    ("Admitted", "in the meeting: the default data channel is wanted"),
    ("Panelist", "admitted with the PANELIST role"),
    ("Practice session", "panelist while the practice session runs: both data channels"),
    ("Left", "this client left the meeting"),
)
CLOSE_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("1000 / 3050 + idle, pong not received, done (forced)", "normal reconnect"),
    ("1001, 1011, 4000 (not replaced)", "transient: reconnect with backoff"),
    ("1006", "abnormal closure: the socket was lost without a close frame (reset, timeout)"),
    ("4000 “replaced”", "replaced by another connection: stay offline"),
    ("4001", "server drain: switch over to a new socket"),
    ("4401 (handshake)", "user auth refused: refresh it and retry"),
    ("4400 / 4403 (handshake)", "refused: give up"),
    ("1005 (handshake)", "no status: refresh the device and retry"),
    ("other codes", "permanent: stay offline"),
)
LIVENESS_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("last frame N s ago", "time since anything arrived on the socket"),
    ("pong outstanding N s", "a ping went out and its pong has not come back yet"),
    (
        "half-open",
        "the connection looks open but nothing gets through: the pong stays outstanding until "
        "the pong timeout closes the socket",
    ),
)


def about_text(backend: str) -> str:
    return (
        f"<h3>dcmon {__version__}</h3>"
        "<p>A monitor for meeting data channels: device socket, default and "
        "practice-session data channels, tokens, latency and events.</p>"
        f"<p>Backend: {backend}<br>PySide6 {pyside_version}</p>"
    )


def shortcuts_text(actions: Iterable[QAction]) -> str:
    rows = []
    for act in actions:
        keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append(f"<tr><td><b>{keys}</b></td><td>{act.text().replace('&', '')}</td></tr>")
    rows.append("<tr><td><b>Esc</b></td><td>clear the log search (in the search box)</td></tr>")
    return "<h3>Keyboard shortcuts</h3><table cellspacing=4>" + "".join(rows) + "</table>"


def glossary_text() -> str:
    def table(pairs: Iterable[tuple[str, str]]) -> str:
        cells = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in pairs)
        return f"<table cellspacing=4>{cells}</table>"

    return (
        "<h3>Meeting badge</h3>"
        + table(BADGE_GLOSSARY)
        + "<h3>Channel states</h3>"
        + table((s.value, text) for s, text in STATE_GLOSSARY.items())
        + "<h3>Close codes</h3>"
        + table(CLOSE_GLOSSARY)
        + "<h3>Liveness (cards)</h3>"
        + table(LIVENESS_GLOSSARY)
    )


def _info(parent: QWidget, title: str, html: str, name: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, title, html, parent=parent)
    box.setObjectName(name)
    box.open()  # never exec() under qasync
    return box


def show_about(parent: QWidget, backend: str) -> QMessageBox:
    return _info(parent, "About dcmon", about_text(backend), "aboutBox")


def show_shortcuts(parent: QWidget, actions: Iterable[QAction]) -> QMessageBox:
    return _info(parent, "Keyboard shortcuts", shortcuts_text(actions), "shortcutsBox")


def show_glossary(parent: QWidget) -> QMessageBox:
    return _info(parent, "Glossary", glossary_text(), "glossaryBox")
