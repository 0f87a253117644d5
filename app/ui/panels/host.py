"""Host console: the simulator's /sim/ controls (shown only when the backend is the simulator)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.locus import DEFAULT_TOKEN, PRACTICE_TOKEN
from app.ui.session import Session

SimCall = Callable[[Any], Awaitable[Any]]


def _combo(name: str, items: list[tuple[str, Any]]) -> QComboBox:
    box = QComboBox(objectName=name)
    for label, data in items:
        box.addItem(label, data)
    return box


def _spin(name: str, lo: int, hi: int, value: int, suffix: str = "") -> QSpinBox:
    s = QSpinBox(objectName=name, minimum=lo, maximum=hi, value=value, suffix=suffix)
    return s


class HostPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.fallback_meeting: str | None = None  # the demo meeting before anyone joined
        self.buttons: dict[str, QPushButton] = {}

        people = QHBoxLayout()
        self._add(people, "Admit", "admit", lambda m, p: lambda s: s.admit(m, p))
        self._add(people, "Lobby", "back to lobby", lambda m, p: lambda s: s.to_lobby(m, p))
        self._add(
            people,
            "Promote",
            "promote to panelist",
            lambda m, p: lambda s: s.set_roles(m, p, ["PANELIST"]),
        )
        self._add(
            people,
            "Demote",
            "demote to attendee",
            lambda m, p: lambda s: s.set_roles(m, p, ["ATTENDEE"]),
        )
        practice = QHBoxLayout()
        self._add(
            practice,
            "Practice on",
            "practice session on",
            lambda m, p: lambda s: s.practice_session(m, True),
        )
        self._add(
            practice,
            "Practice off",
            "practice session off",
            lambda m, p: lambda s: s.practice_session(m, False),
        )

        grid = QGridLayout()
        r = 0
        self.rotate_channel = _combo(
            "rotateChannel", [("default", "default"), ("practice", "practice")]
        )
        grid.addWidget(QLabel("Rotate URL"), r, 0)
        grid.addWidget(self.rotate_channel, r, 1)
        self._add(
            grid,
            "Rotate",
            "rotate URL",
            lambda m, p: lambda s, c=self.rotate_channel.currentData(): s.rotate(m, c),
            pos=(r, 2),
        )
        r += 1
        self.token_type = _combo(
            "tokenType",
            [("all tokens", None), ("default", DEFAULT_TOKEN), ("practice", PRACTICE_TOKEN)],
        )
        grid.addWidget(QLabel("Tokens"), r, 0)
        grid.addWidget(self.token_type, r, 1)
        tok_buttons = QHBoxLayout()
        for action in ("expire", "revoke"):
            self._add(
                tok_buttons,
                action.capitalize(),
                f"{action} tokens",
                lambda m, p, a=action: lambda s, t=self.token_type.currentData(): s.tokens(m, a, t),
            )
        grid.addLayout(tok_buttons, r, 2)
        r += 1
        self.rate = QDoubleSpinBox(
            objectName="transcriptionRate",
            minimum=0,
            maximum=50,
            value=2.0,
            suffix=" /s",
            decimals=1,
        )
        grid.addWidget(QLabel("Transcription"), r, 0)
        grid.addWidget(self.rate, r, 1)
        self._add(
            grid,
            "Set rate",
            "transcription rate",
            lambda m, p: lambda s, v=self.rate.value(): s.transcription(m, v),
            pos=(r, 2),
        )
        r += 1
        self.endpoint = _combo(
            "faultEndpoint", [(e, e) for e in ("token", "register", "join", "keepalive", "device")]
        )
        self.mode = _combo("faultMode", [(m, m) for m in ("error", "slow", "hang")])
        self.delay = _spin("faultDelay", 0, 120_000, 3000, " ms")
        self.status = _spin("faultStatus", 400, 599, 500)
        self.count = _spin("faultCount", 0, 1000, 1)
        self.count.setSpecialValueText("all")
        self.delay.setToolTip("delay for 'slow'")
        self.status.setToolTip("HTTP status for 'error'")
        self.count.setToolTip("how many calls (all: until cleared)")
        fault_row = QHBoxLayout()
        for w in (self.endpoint, self.mode):
            fault_row.addWidget(w)
        fault_more = QHBoxLayout()  # a second row keeps the console narrow
        for w in (self.delay, self.status, self.count):
            fault_more.addWidget(w)
        grid.addWidget(QLabel("Endpoint fault"), r, 0)
        grid.addLayout(fault_row, r, 1)
        self._add(
            grid, "Apply fault", "endpoint fault", lambda m, p: self._fault_call(), pos=(r, 2)
        )
        r += 1
        grid.addLayout(fault_more, r, 1)
        r += 1
        self.sock_channel = _combo(
            "socketChannel", [(c, c) for c in ("default", "practice", "device")]
        )
        self.latency = _spin("socketLatency", 0, 10_000, 200, " ms")
        sock_row = QHBoxLayout()
        sock_row.addWidget(self.sock_channel)
        sock_row.addWidget(self.latency)
        grid.addWidget(QLabel("Socket"), r, 0)
        grid.addLayout(sock_row, r, 1)
        self._add(
            grid,
            "Set latency",
            "socket latency",
            lambda m, p: self._sock(m, p, "latency", ms=self.latency.value()),
            pos=(r, 2),
        )
        r += 1
        sock_buttons = QHBoxLayout()
        self._add(
            sock_buttons,
            "Server reset",
            "server resets socket",
            lambda m, p: self._sock(m, p, "reset"),
        )
        self._add(
            sock_buttons,
            "Server half-open",
            "server goes half-open",
            lambda m, p: self._sock(m, p, "halfopen"),
        )
        grid.addLayout(sock_buttons, r, 1, 1, 2)

        reset = QPushButton("Reset all faults", objectName="host_reset_faults")
        reset.clicked.connect(self.reset_faults)
        self.buttons["Reset all faults"] = reset
        self.summary = QLabel("", objectName="hostSummary", wordWrap=True)
        lay = QVBoxLayout(self)
        lay.addLayout(people)
        lay.addLayout(practice)
        lay.addLayout(grid)
        lay.addWidget(reset)
        lay.addWidget(self.summary)
        lay.addStretch(1)
        # the server's view of us, refreshed slowly (loopback, async: never blocks the UI)
        self.poll = QTimer(self, interval=2000)
        self.poll.timeout.connect(self.refresh_state)

    def _add(
        self,
        layout: Any,
        text: str,
        summary: str,
        make: Callable[[str, str | None], SimCall],
        pos: tuple[int, int] | None = None,
    ) -> QPushButton:
        b = QPushButton(text, objectName="host_" + text.lower().replace(" ", "_").replace("-", ""))
        b.clicked.connect(lambda: self.act(summary, make))
        if pos is None:
            layout.addWidget(b)
        else:
            layout.addWidget(b, *pos)
        self.buttons[text] = b
        return b

    def _ids(self) -> tuple[str | None, str | None]:
        snap = self.session.snapshot
        meeting = (snap.meeting_id if snap else None) or self.fallback_meeting
        return meeting, snap.participant_id if snap else None

    def act(self, summary: str, make: Callable[[str, str | None], SimCall]) -> None:
        meeting, pid = self._ids()
        if meeting is None:
            self.session.report(f"Host {summary} failed: no meeting yet: join one first")
            return
        call = make(meeting, pid)
        task = self.session.spawn(f"Host {summary}", self.session.host(summary, call))
        task.add_done_callback(lambda _t: self.refresh_state())

    def _fault_call(self) -> SimCall:
        mode, count = self.mode.currentData(), self.count.value() or None
        delay = self.delay.value() if mode == "slow" else None
        status = self.status.value() if mode == "error" else None
        endpoint = self.endpoint.currentData()
        return lambda s: s.fault(endpoint, mode, delay_ms=delay, status=status, count=count)

    def _sock(self, meeting: str, pid: str | None, action: str, **kw: Any) -> SimCall:
        channel = self.sock_channel.currentData()
        return lambda s: s.socket(meeting, channel, action, participant_id=pid, **kw)

    def reset_faults(self) -> None:
        meeting, pid = self._ids()

        async def clear(sim: Any) -> None:
            await sim.clear_faults()
            if meeting is not None and pid is not None:
                for ch in ("device", "default", "practice"):  # "nothing done" if no socket
                    await sim.socket(meeting, ch, "latency", participant_id=pid, ms=0)

        task = self.session.spawn("Reset faults", self.session.host("reset all faults", clear))
        task.add_done_callback(lambda _t: self.refresh_state())

    def set_active(self, on: bool) -> None:
        if on:
            self.poll.start()
        else:
            self.poll.stop()

    def refresh_state(self) -> None:
        meeting, _ = self._ids()
        if meeting is None or self.session.sim is None:
            return
        self.session.spawn("Host state", self._load_state(meeting))

    async def _load_state(self, meeting: str) -> None:
        state = await self.session.sim.state(meeting)
        self.summary.setText(describe_state(state))


def describe_state(state: dict[str, Any]) -> str:
    """The simulator's view in one short paragraph (participants, phases, live sockets)."""
    lines = [
        f"<b>server:</b> meeting {state.get('meetingId')} · practice session "
        f"{'on' if (state.get('practiceSession') or {}).get('enabled') else 'off'}"
    ]
    for p in state.get("participants") or []:
        socks = []
        for ch, info in (p.get("channels") or {}).items():
            live = info.get("sockets") or []
            if live:
                subs = ",".join(sorted({s for k in live for s in k.get("subscriptions", [])}))
                socks.append(f"{ch}×{len(live)}" + (f" [{subs}]" if subs else ""))
        lines.append(
            f"{p.get('displayName')} ({p.get('participantId')}): {p.get('phase')}, "
            f"{'/'.join(p.get('roles') or [])}; sockets {' '.join(socks) or 'none'}"
        )
    return "<br>".join(lines)
