"""Channels panel: one card per socket (device, default, practice session)."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.events import ChannelName, ChannelSnapshot, ChannelState, MeetingSnapshot
from app.core.protocol import classify_close
from app.ui.confirm import Confirmer
from app.ui.fmt import (
    STATE_COLORS,
    close_parts,
    duration,
    ms,
    state_line,
    subscriptions_line,
    wall_clock,
)
from app.ui.session import Session
from app.ui.widgets import CopyLabel

TITLES = {
    ChannelName.DEVICE: "device (mercury)",
    ChannelName.DEFAULT: "default data channel",
    ChannelName.PRACTICE: "practice session",
}

# Codes a server may close with, to exercise every row of the close-code table.
CLOSE_CHOICES: tuple[tuple[int, str], ...] = (
    (1001, "going away"),
    (1011, "server error"),
    (1000, "idle"),
    (1000, "pong not received"),
    (3050, "done (forced)"),
    (4000, "replaced"),
    (4000, "rebalance"),
    (4001, "drain"),
    (1003, "unsupported data"),
    (1000, "bye"),
)
DEFAULT_DROP = CLOSE_CHOICES[0]


def close_choice_label(code: int, reason: str) -> str:
    d = classify_close(code, reason, online=True)
    return f"{code} “{reason}”: {d.meaning} → {d.action.value}"


class ChannelCard(QFrame):
    def __init__(
        self, name: ChannelName, session: Session, confirm: Confirmer, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.session = session
        self.confirm = confirm
        self.snap = ChannelSnapshot(name)
        self.setObjectName(f"card_{name.value}")
        self.setFrameShape(QFrame.Shape.StyledPanel)

        self.light = QLabel("●")
        self.title = QLabel(f"<b>{TITLES[name]}</b>")
        self.setMinimumWidth(230)
        self.state = QLabel("offline")
        self.state.setObjectName(f"state_{name.value}")
        self.rtt = QLabel("")
        self.url = CopyLabel(30)
        self.binding = CopyLabel(24)
        self.since = QLabel("-")
        self.counts = QLabel("-")
        self.close_info = CopyLabel(34)
        self.close_meaning = CopyLabel(34)
        self.subs = QLabel("-")
        self.subs.setObjectName(f"subs_{name.value}")
        self.frames = QLabel("-")
        self.timing = QLabel("-")
        self.detail = QLabel("")
        self.detail.setWordWrap(True)

        head = QHBoxLayout()
        head.addWidget(self.light)
        head.addWidget(self.title, 1)
        head.addWidget(self.rtt)
        form = QFormLayout()
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(2)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows = [
            ("state", self.state),
            ("URL", self.url),
            ("binding", self.binding),
            ("online since", self.since),
            ("reconnects", self.counts),
            ("last close", self.close_info),
            ("meaning", self.close_meaning),
            ("subscribed", self.subs),
            ("frames", self.frames),
            ("timing", self.timing),
        ]
        for label, w in rows:
            # values may be clipped (tooltips carry the full text): cards shrink with the dock
            w.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            if name is ChannelName.DEVICE and label in ("binding", "subscribed"):
                w.hide()
                continue
            form.addRow(label, w)

        self.drop_button = QToolButton()
        self.drop_button.setText("Drop")
        self.drop_button.setObjectName(f"drop_{name.value}")
        self.drop_button.setToolTip(
            "Close the socket (server-side close with a code when the backend is the simulator)"
        )
        self.drop_button.clicked.connect(lambda: self.ask_drop(*DEFAULT_DROP))
        self.drop_menu = QMenu(self)
        for code, reason in CLOSE_CHOICES:
            act = QAction(close_choice_label(code, reason), self.drop_menu)
            act.triggered.connect(lambda _=False, c=code, r=reason: self.ask_drop(c, r))
            self.drop_menu.addAction(act)
        self.reset_button = self._button(
            "Reset", "Drop the TCP connection: no close frame", lambda: self.ask_fault("reset")
        )
        self.halfopen_button = self._button(
            "Half-open", "Stop reading: pings go unanswered", lambda: self.ask_fault("halfopen")
        )
        self.reconnect_button = self._button(
            "Reconnect", "Reconnect now", lambda: self.session.reconnect(self.name)
        )
        self.resub_button = self._button(
            "Resubscribe",
            "Send the subscription request again",
            lambda: self.session.resubscribe(self.name),
        )
        if name is ChannelName.DEVICE:
            self.resub_button.hide()
        buttons = QGridLayout()
        buttons.setSpacing(4)
        for i, b in enumerate(
            (
                self.drop_button,
                self.reset_button,
                self.halfopen_button,
                self.reconnect_button,
                self.resub_button,
            )
        ):
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            buttons.addWidget(b, i // 3, i % 3)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(4)
        lay.addLayout(head)
        lay.addLayout(form)
        lay.addWidget(self.detail)
        lay.addLayout(buttons)
        lay.addStretch(1)
        # what is on screen, so update_view touches only what changed
        self._texts: dict[QLabel, str] = {}
        self._shown: tuple[ChannelSnapshot, str | None] | None = None
        self._light_color: str | None = None
        self._light_state: ChannelState | None = None
        self._url_tip: str | None = None
        self._detail_shown = True  # the label starts visible: the first update decides
        self._detail_red: bool | None = None
        self.set_host(False)
        self.update_view(self.snap)

    def _button(self, text: str, tip: str, slot: object) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(f"{text.lower().replace('-', '')}_{self.name.value}")
        b.setToolTip(tip)
        b.clicked.connect(slot)
        return b

    def set_host(self, simulator: bool) -> None:
        """With the simulator, Drop offers the server's close codes; otherwise a plain close."""
        self.drop_button.setMenu(self.drop_menu if simulator else None)
        self.drop_button.setPopupMode(
            QToolButton.ToolButtonPopupMode.MenuButtonPopup
            if simulator
            else QToolButton.ToolButtonPopupMode.DelayedPopup
        )
        self._simulator = simulator

    # -- commands (destructive ones confirm) ----------------------------------------------
    def ask_drop(self, code: int, reason: str) -> None:
        ch = self.name.value
        if self._simulator:
            text = f"The server closes the {ch} socket with {close_choice_label(code, reason)}."
            self.confirm.ask(
                f"Drop {ch}?",
                text,
                lambda: self.session.spawn(
                    f"Drop {ch}", self.session.drop_with_code(self.name, code, reason)
                ),
            )
        else:
            self.confirm.ask(
                f"Drop {ch}?",
                f"Close the {ch} socket from this side.",
                lambda: self.session.drop(self.name, "close"),
            )

    def ask_fault(self, how: str) -> None:
        ch = self.name.value
        words = {
            "reset": "Reset the connection (no close frame)",
            "halfopen": "Make the connection half-open (pings go unanswered)",
        }
        self.confirm.ask(
            f"{how.capitalize()} {ch}?",
            f"{words[how]} on the {ch} socket.",
            lambda: self.session.drop(self.name, how),
        )

    # -- view -----------------------------------------------------------------------------
    def _set(self, label: QLabel, text: str) -> None:
        """setText only when the text changed: a snapshot arrives many times a second and
        most of a card stays the same."""
        if self._texts.get(label) != text:
            self._texts[label] = text
            label.setText(text)

    def update_view(self, ch: ChannelSnapshot, fallback_url: str | None = None) -> None:
        if self._shown == (ch, fallback_url):  # most snapshots change another channel
            return
        self._shown = (ch, fallback_url)
        self.snap = ch
        color = STATE_COLORS.get(ch.state, "#8a8a8a")
        if color != self._light_color:  # a style sheet re-polishes the widget: on change only
            self._light_color = color
            self.light.setStyleSheet(f"color:{color}; font-size:16px;")
        if ch.state is not self._light_state:
            self._light_state = ch.state
            self.light.setToolTip(ch.state.value)
        self.tick()
        self._set(self.rtt, f"rtt {ms(ch.last_rtt_ms)}" if ch.last_rtt_ms is not None else "")
        self.url.set_full(ch.web_socket_url or ch.registration_url or fallback_url)
        url_tip = f"socket: {ch.web_socket_url or '-'}\nregistration: {ch.registration_url or '-'}"
        if url_tip != self._url_tip:
            self._url_tip = url_tip
            self.url.setToolTip(url_tip)
        self.binding.set_full(ch.binding)
        self._set(
            self.counts,
            f"{ch.reconnects} ({ch.connects} connects, {ch.registrations} reg.)"
            + (f" · attempt {ch.attempt}" if ch.attempt else ""),
        )
        code, meaning = close_parts(ch)
        self.close_info.set_full(code)
        self.close_meaning.set_full(meaning)
        self._set(self.subs, subscriptions_line(ch))
        gaps = f" · {ch.sequence_gaps} seq gaps" if ch.sequence_gaps else ""
        self._set(self.frames, f"in {ch.frames_in} / out {ch.frames_out}{gaps}")
        self._set(self.timing, f"register {ms(ch.register_ms)} · connect {ms(ch.connect_ms)}")
        problem = ch.last_error if ch.state is ChannelState.ERROR or ch.last_error else None
        text = problem or ch.detail
        self._set(self.detail, text)
        if bool(text) != self._detail_shown:
            self._detail_shown = bool(text)
            self.detail.setVisible(bool(text))
        if bool(problem) != self._detail_red:
            self._detail_red = bool(problem)
            self.detail.setStyleSheet("color:#d1242f;" if problem else "")

    def tick(self) -> None:
        now = time.monotonic()
        self._set(self.state, state_line(self.snap, now))
        since = self.snap.online_since
        if since is not None and self.snap.state is ChannelState.ONLINE:
            wall = time.time() - (now - since)
            self._set(self.since, f"{wall_clock(wall, millis=False)} ({duration(now - since)})")
        else:
            self._set(self.since, "-")


class ChannelsPanel(QScrollArea):
    def __init__(self, session: Session, confirm: Confirmer, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QWidget()
        lay = QHBoxLayout(body)  # side by side: the three sockets compare at a glance
        lay.setContentsMargins(4, 4, 4, 4)
        self.cards = {n: ChannelCard(n, session, confirm) for n in ChannelName}
        # the data channels matter most: they go first
        for n in (ChannelName.DEFAULT, ChannelName.PRACTICE, ChannelName.DEVICE):
            lay.addWidget(self.cards[n], 1)
        self.setWidget(body)
        # countdowns ("reconnecting in 1.4 s") and online-for tick between snapshots
        self.ticker = QTimer(self, interval=100)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()

    def set_host(self, simulator: bool) -> None:
        for card in self.cards.values():
            card.set_host(simulator)

    def set_snapshot(self, snap: MeetingSnapshot) -> None:
        for name, card in self.cards.items():
            # the device card falls back to the device URL when no socket URL is reported
            fallback = snap.device_url if name is ChannelName.DEVICE else None
            card.update_view(snap.channels.get(name) or ChannelSnapshot(name), fallback)

    def tick(self) -> None:
        for card in self.cards.values():
            card.tick()
