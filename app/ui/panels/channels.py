"""Channels panel: one card per socket (device, default, practice session)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from PySide6.QtCore import Qt, QTimer
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

from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CoreEvent,
    EventKind,
    MeetingSnapshot,
)
from app.ui.confirm import Confirmer
from app.ui.fmt import (
    NO_SOCKET,
    SOCKET_OPEN,
    STATE_COLORS,
    close_parts,
    detail_line,
    duration,
    liveness_line,
    ms,
    rtt_line,
    state_line,
    subscriptions_line,
    wall_clock,
)
from app.ui.modes import set_enabled
from app.ui.panels.card_state import CardState
from app.ui.panels.close_choices import CLOSE_CHOICES, DEFAULT_DROP, close_choice_label
from app.ui.session import Session
from app.ui.widgets import CopyLabel, ElideLabel

TITLES = {
    ChannelName.DEVICE: "device (mercury)",
    ChannelName.DEFAULT: "default data channel",
    ChannelName.PRACTICE: "practice session",
}


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
        self.state = ElideLabel("offline")
        self.state.setObjectName(f"state_{name.value}")
        self.rtt = QLabel("")
        # perf (issue 14): a fixed size, so each new RTT repaints it instead of the whole card
        widest = self.rtt.fontMetrics().horizontalAdvance("rtt 99999 ms") + 4  # fmt.ms
        self.rtt.setFixedSize(widest, self.rtt.fontMetrics().height())
        self.url = CopyLabel(30)
        self.binding = CopyLabel(24)
        self.since = ElideLabel("-")
        self.counts = ElideLabel("-")
        # words read from the left: these elide at the end, never in the middle
        self.close_info = CopyLabel(34, mode=Qt.TextElideMode.ElideRight)
        self.close_meaning = CopyLabel(34, mode=Qt.TextElideMode.ElideRight)
        self.subs = ElideLabel("-")
        self.subs.setObjectName(f"subs_{name.value}")
        self.frames = ElideLabel("-")
        self.liveness = ElideLabel("-")
        self.liveness.setObjectName(f"liveness_{name.value}")
        self.timing = ElideLabel("-")
        self.detail = ElideLabel("")
        self.detail.setObjectName(f"detail_{name.value}")
        # one line, always there: an error appearing never moves the buttons or the rows
        # (it elides; the tooltip has all of it)
        self.detail.setFixedHeight(self.detail.fontMetrics().lineSpacing() + 2)
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        # live between snapshots: when the last frame came, since when a pong is awaited
        self.ping_interval: float | None = None
        self.memory = CardState(per_meeting=name is not ChannelName.DEVICE)

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
            ("liveness", self.liveness),
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
        lay.addLayout(buttons)  # at the top: visible however short the dock is
        lay.addWidget(self.detail)
        lay.addLayout(form)
        lay.addStretch(1)
        # what is on screen, so update_view touches only what changed
        self._texts: dict[QLabel, str] = {}
        self._shown: tuple[object, ...] | None = None
        self._light_color: str | None = None
        self._light_state: ChannelState | None = None
        self._url_tip: str | None = None
        self._detail_red: bool | None = None
        self._actions_why: tuple[str, str] | None = None
        self._liveness_late: bool | None = None
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

    def update_view(
        self,
        ch: ChannelSnapshot,
        fallback_url: str | None = None,
        meeting: MeetingSnapshot | None = None,
    ) -> None:
        generation = meeting.generation if meeting is not None else None
        key = (ch, fallback_url, generation, _meeting_key(meeting))
        if self._shown == key:  # most snapshots change another channel
            return
        self._shown = key
        self.memory.track(ch, generation)
        self.snap = ch
        color = STATE_COLORS.get(ch.state, "#8a8a8a")
        if color != self._light_color:  # a style sheet re-polishes the widget: on change only
            self._light_color = color
            self.light.setStyleSheet(f"color:{color}; font-size:16px;")
        if ch.state is not self._light_state:
            self._light_state = ch.state
            self.light.setToolTip(ch.state.value)
        self.tick()
        self._set(self.rtt, rtt_line(ch))
        # no socket (not wanted, closed, gave up): its URL, binding, frames and timings
        # belong to a socket that is gone, so the rows say "-" (the tooltip keeps the last)
        gone = ch.state in NO_SOCKET and self.name is not ChannelName.DEVICE
        url = None if gone else ch.web_socket_url or ch.registration_url
        self.url.set_full(url or fallback_url)
        last = "last " if gone else ""
        url_tip = (
            f"{last}socket: {ch.web_socket_url or '-'}\n"
            f"{last}registration: {ch.registration_url or '-'}"
        )
        if url_tip != self._url_tip:
            self._url_tip = url_tip
            self.url.setToolTip(url_tip)
        self.binding.set_full(None if gone else ch.binding)
        n = self.counts_now(ch)
        self._set(
            self.counts,
            f"{n['reconnects']} ({n['connects']} connects, {n['registrations']} reg.)"
            + (f" · attempt {ch.attempt}" if ch.attempt else ""),
        )
        code, meaning = close_parts(ch)
        self.close_info.set_full(code)
        self.close_meaning.set_full(meaning)
        self._set(self.subs, subscriptions_line(ch))
        gaps = f" · {ch.sequence_gaps} seq gaps" if ch.sequence_gaps else ""
        frames = f"in {ch.frames_in} / out {ch.frames_out}{gaps}"
        self._set(self.frames, "-" if gone else frames)
        timing = f"register {ms(ch.register_ms)} · connect {ms(ch.connect_ms)}"
        self._set(self.timing, "-" if gone else timing)
        problem = ch.last_error if ch.state is ChannelState.ERROR or ch.last_error else None
        text = problem or detail_line(self.name, ch, meeting)
        self._set(self.detail, text or "")
        self.detail.setToolTip(text or "")
        if bool(problem) != self._detail_red:
            self._detail_red = bool(problem)
            self.detail.setStyleSheet("color:#d1242f;" if problem else "")
        self._enable_actions(ch, meeting)

    def counts_now(self, ch: ChannelSnapshot) -> dict[str, int]:
        return self.memory.counts(ch)

    def pong(self) -> None:
        """A pong came (RTT event) on this channel."""
        if self.snap.state in SOCKET_OPEN:
            self.memory.pong()

    def _enable_actions(self, ch: ChannelSnapshot, meeting: MeetingSnapshot | None) -> None:
        """Off, with the reason in the tooltip, when they could only do nothing or pretend."""
        if (
            meeting is not None
            and self.name is not ChannelName.DEVICE
            and (meeting.badge in ("Not joined", "Left"))
        ):
            why = "not in a meeting: join one first"
            reconnect_why = why
        elif ch.state is ChannelState.OFFLINE and not ch.web_socket_url:
            why = reconnect_why = (
                f"no {self.name.value} socket ({detail_line(self.name, ch, meeting) or 'offline'})"
            )
        elif ch.state not in SOCKET_OPEN:
            why, reconnect_why = f"no open socket ({ch.state.value})", ""
        else:
            why = reconnect_why = ""
        if (why, reconnect_why) == self._actions_why:
            return
        self._actions_why = (why, reconnect_why)
        for b in (self.drop_button, self.reset_button, self.halfopen_button, self.resub_button):
            set_enabled(b, not why, why)
        set_enabled(self.reconnect_button, not reconnect_why, reconnect_why)

    def tick(self) -> None:
        now = time.monotonic()
        self._set(self.state, state_line(self.snap, now))
        since = self.snap.online_since
        if since is not None and self.snap.state is ChannelState.ONLINE:
            wall = time.time() - (now - since)
            self._set(self.since, f"{wall_clock(wall, millis=False)} ({duration(now - since)})")
        else:
            self._set(self.since, "-")
        if self.snap.state not in SOCKET_OPEN:
            self._set(self.liveness, "-")
            return
        pong_from = self.memory.last_pong_at or since
        text, late = liveness_line(now, self.memory.last_frame_at, pong_from, self.ping_interval)
        self._set(self.liveness, text)
        if late != self._liveness_late:
            self._liveness_late = late
            self.liveness.setStyleSheet("color:#d1242f;" if late else "")


def _meeting_key(meeting: MeetingSnapshot | None) -> tuple[object, ...]:
    """What of the meeting a card shows (the reason a channel is not wanted)."""
    if meeting is None:
        return ()
    return (meeting.badge, meeting.practice_enabled, meeting.roles)


class ChannelsPanel(QScrollArea):
    def __init__(self, session: Session, confirm: Confirmer, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setWidgetResizable(True)
        body = QWidget()
        lay = QHBoxLayout(body)  # side by side: the three sockets compare at a glance
        lay.setContentsMargins(4, 4, 4, 4)
        self.cards = {n: ChannelCard(n, session, confirm) for n in ChannelName}
        # the data channels matter most: they go first
        for n in (ChannelName.DEFAULT, ChannelName.PRACTICE, ChannelName.DEVICE):
            lay.addWidget(self.cards[n], 1)
        self.setWidget(body)
        # countdowns ("reconnecting in 1.4 s"), online-for and liveness tick between snapshots
        self.ticker = QTimer(self, interval=100)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()

    def set_host(self, simulator: bool) -> None:
        for card in self.cards.values():
            card.set_host(simulator)

    def set_snapshot(self, snap: MeetingSnapshot) -> None:
        interval = self.session.client_settings.ping_interval
        for name, card in self.cards.items():
            card.ping_interval = interval
            # the device card falls back to the device URL when no socket URL is reported
            fallback = snap.device_url if name is ChannelName.DEVICE else None
            card.update_view(snap.channels.get(name) or ChannelSnapshot(name), fallback, snap)

    def on_events(self, events: Iterable[CoreEvent]) -> None:
        for ev in events:
            if ev.kind is EventKind.RTT and ev.channel in self.cards:
                self.cards[ChannelName(ev.channel)].pong()

    def tick(self) -> None:
        for card in self.cards.values():
            card.tick()
