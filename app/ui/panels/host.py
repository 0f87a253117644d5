"""Host console: the simulator's /sim/ controls (shown only when the backend is the simulator).

Every control sits at a fixed place: the parts whose text varies (the server summary, the
Active faults list, the token note) have a fixed height and scroll or elide, so no button
moves under the cursor. The whole console scrolls when its dock is shorter than it.
Every action is logged with its parameters (`host: ...`); the ones that change the network
or the tokens carry a `mark`, which the latency plot draws at the moment they were applied.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.locus import DEFAULT_TOKEN, PRACTICE_TOKEN
from app.ui.panels.faults import (
    ActiveFault,
    ActiveFaultsList,
    FaultForm,
    active_faults,
    shrinkable,
)
from app.ui.panels.host_summary import describe_state, short_channel, short_token
from app.ui.panels.sim_calls import describe_fault, list_faults, set_captions, set_features
from app.ui.session import Session

SimCall = Callable[[Any], Awaitable[Any]]
SUMMARY_LINES = 4  # the server summary's fixed height, in lines


def _combo(name: str, items: list[tuple[str, Any]]) -> QComboBox:
    box = QComboBox(objectName=name)
    for label, data in items:
        box.addItem(label, data)
    return shrinkable(box)


def _spin(name: str, lo: int, hi: int, value: int, suffix: str = "") -> QSpinBox:
    return QSpinBox(objectName=name, minimum=lo, maximum=hi, value=value, suffix=suffix)


def _fixed_scroll(widget: QWidget, lines: int, name: str) -> QScrollArea:
    """`widget` in a box of `lines` text lines: longer text scrolls, nothing below moves."""
    area = QScrollArea(objectName=name, widgetResizable=True)
    area.setWidget(widget)
    area.setFrameShape(QFrame.Shape.StyledPanel)
    area.setFixedHeight(widget.fontMetrics().lineSpacing() * lines + 8)
    return area


class HostPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.fallback_meeting: str | None = None  # the demo meeting before anyone joined
        self.buttons: dict[str, QPushButton] = {}
        self.last_state: dict[str, Any] | None = None
        self.last_faults: list[dict[str, Any]] = []

        inner = QWidget(objectName="hostInner")
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(2, 2, 2, 2)
        people = QHBoxLayout()
        self._add(people, "Admit", lambda m, p: ("admit", lambda s: s.admit(m, p)))
        self._add(people, "Lobby", lambda m, p: ("back to lobby", lambda s: s.to_lobby(m, p)))
        self._add(
            people,
            "Promote",
            lambda m, p: ("promote to panelist", lambda s: s.set_roles(m, p, ["PANELIST"])),
        )
        self._add(
            people,
            "Demote",
            lambda m, p: ("demote to attendee", lambda s: s.set_roles(m, p, ["ATTENDEE"])),
        )
        meeting_row = QHBoxLayout()
        for on in (True, False):
            word = "on" if on else "off"
            self._add(
                meeting_row,
                f"Practice {word}",
                lambda m, p, on=on, w=word: (
                    f"practice session {w}",
                    lambda s: s.practice_session(m, on),
                ),
            )
        for on in (True, False):
            word = "on" if on else "off"
            self._add(
                meeting_row,
                f"Captions {word}",
                lambda m, p, on=on, w=word: (
                    f"captions {w} (POST /sim/meetings/{m}/captions)",
                    lambda s: set_captions(s, m, on),
                ),
                tip="the host turns the meeting's captions on or off",
            )

        grid = QGridLayout()
        r = 0
        self.rotate_channel = _combo(
            "rotateChannel", [("default", "default"), ("practice", "practice")]
        )
        grid.addWidget(QLabel("Rotate URL"), r, 0)
        grid.addWidget(self.rotate_channel, r, 1)
        self._add(grid, "Rotate", lambda m, p: self._rotate(m), pos=(r, 2))
        r += 1
        self.token_type = _combo(
            "tokenType",
            [("all tokens", None), ("default", DEFAULT_TOKEN), ("practice", PRACTICE_TOKEN)],
        )
        grid.addWidget(QLabel("Tokens"), r, 0)
        grid.addWidget(self.token_type, r, 1)
        # one button per row in the last column: the console fits a laptop's left column
        for i, action in enumerate(("expire", "revoke")):
            self._add(
                grid,
                action.capitalize(),
                lambda m, p, a=action: self._tokens(m, a),
                pos=(r + i, 2),
                tip=f"{action} the issued tokens: the client sees it at its next registration",
            )
        # after Expire / Revoke: nothing visible happens until the client registers again
        self.token_note = QLabel("", objectName="tokenNote", wordWrap=True)
        self.token_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.token_note.setFixedHeight(self.token_note.fontMetrics().lineSpacing() * 3 + 4)
        self.token_note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.force = QPushButton("Rotate now", objectName="host_force_registration")
        self.force.setToolTip("rotate the URL: the client registers again with its token")
        self.force.clicked.connect(lambda: self.buttons["Rotate"].click())
        self.force.setEnabled(False)
        grid.addWidget(self.token_note, r + 1, 0, 2, 2)
        grid.addWidget(self.force, r + 2, 2)
        r += 3
        self.rate = QDoubleSpinBox(
            objectName="transcriptionRate", minimum=0, maximum=50, value=0.0, decimals=1
        )
        self.rate.setSuffix(" /s")
        self.rate.setToolTip("the simulator's rate (read back every few seconds)")
        self._rate_edited = False  # typed but not applied: the read-back leaves it alone
        self.rate.valueChanged.connect(self._rate_changed)
        grid.addWidget(QLabel("Transcription"), r, 0)
        grid.addWidget(self.rate, r, 1)
        self._add(grid, "Set rate", lambda m, p: self._rate_call(m), pos=(r, 2))
        r += 1
        # the feature's whole name is too wide for a laptop's left column
        self.jwt_feature = QCheckBox("JWT token", objectName="featureJwt")
        self.jwt_feature.setToolTip(
            "data-channel-with-jwt-token: with it on, registrations need the data-channel token"
        )
        self.jwt_feature.setChecked(True)
        grid.addWidget(QLabel("Device feature"), r, 0)
        grid.addWidget(self.jwt_feature, r, 1)
        self._add(
            grid,
            "Set feature",
            lambda m, p: self._feature_call(),
            pos=(r, 2),
            tip="POST /sim/features: new device registrations and refreshes answer with it",
        )
        r += 1

        self.fault_form = FaultForm()
        # the names the console always had, for the menus and tests
        self.endpoint, self.mode = self.fault_form.endpoint, self.fault_form.mode
        self.delay, self.status = self.fault_form.delay, self.fault_form.status
        self.count = self.fault_form.count
        grid.addWidget(QLabel("Endpoint fault"), r, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.fault_form, r, 1)
        self._add(grid, "Apply fault", lambda m, p: self._fault_call(), pos=(r, 2), align_top=True)
        r += 1
        self.sock_channel = _combo(
            "socketChannel", [(c, c) for c in ("default", "practice", "device")]
        )
        self.latency = _spin("socketLatency", 0, 10_000, 200, " ms")
        grid.addWidget(QLabel("Socket"), r, 0)
        grid.addWidget(self.sock_channel, r, 1)
        r += 1
        grid.addWidget(QLabel("Latency"), r, 0)
        grid.addWidget(self.latency, r, 1)
        self._add(
            grid,
            "Set latency",
            lambda m, p: self._sock(m, p, "latency", ms=self.latency.value()),
            pos=(r, 2),
        )
        r += 1
        sock_buttons = QHBoxLayout()
        for text, action, tip in (
            ("Server reset", "reset", "the server drops TCP (no close frame): 1006"),
            ("Server half-open", "halfopen", "the server stops answering, TCP stays open"),
            (
                "Server drain",
                "shutdown",
                "shutdown frame: the client opens a replacement, then the old closes 4001",
            ),
        ):
            self._add(sock_buttons, text, lambda m, p, a=action: self._sock(m, p, a), tip=tip)
        grid.addLayout(sock_buttons, r, 0, 1, 3)

        reset = QPushButton("Reset all faults", objectName="host_reset_faults")
        reset.clicked.connect(self.reset_faults)
        self.buttons["Reset all faults"] = reset
        self.faults = ActiveFaultsList(self.clear_one)
        self.summary = QLabel("", objectName="hostSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_box = _fixed_scroll(self.summary, SUMMARY_LINES, "hostSummaryBox")

        lay.addLayout(people)
        lay.addLayout(meeting_row)
        lay.addLayout(grid)
        lay.addWidget(reset)
        lay.addWidget(QLabel("<b>Active faults</b> (from the simulator)"))
        lay.addWidget(self.faults)
        lay.addWidget(self.summary_box)
        lay.addStretch(1)
        scroll = QScrollArea(objectName="hostScroll", widgetResizable=True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        # the server's view of us, refreshed slowly (loopback, async: never blocks the UI)
        self.poll = QTimer(self, interval=2000)
        self.poll.timeout.connect(self.refresh_state)

    def _add(
        self,
        layout: Any,
        text: str,
        make: Callable[[str, str | None], tuple[str, SimCall] | tuple[str, SimCall, dict]],
        pos: tuple[int, int] | None = None,
        tip: str = "",
        align_top: bool = False,
    ) -> QPushButton:
        b = QPushButton(text, objectName="host_" + text.lower().replace(" ", "_").replace("-", ""))
        b.clicked.connect(lambda: self.act(text, make))
        if tip:
            b.setToolTip(tip)
        if pos is None:
            layout.addWidget(b)
        elif align_top:
            layout.addWidget(b, *pos, Qt.AlignmentFlag.AlignTop)
        else:
            layout.addWidget(b, *pos)
        self.buttons[text] = b
        return b

    def _ids(self) -> tuple[str | None, str | None]:
        snap = self.session.snapshot
        meeting = (snap.meeting_id if snap else None) or self.fallback_meeting
        return meeting, snap.participant_id if snap else None

    def act(self, label: str, make: Callable[[str, str | None], Any]) -> Any:
        """Run one control: `make` gives (summary with parameters, call[, log data])."""
        meeting, pid = self._ids()
        if meeting is None:
            self.session.report(f"Host {label} failed: no meeting yet: join one first")
            return None
        summary, call, *rest = make(meeting, pid)
        data = rest[0] if rest else {}
        task = self.session.spawn(f"Host {summary}", self._run(label, summary, call, data))
        task.add_done_callback(lambda _t: self.refresh_state())
        return task

    async def _run(self, label: str, summary: str, call: SimCall, data: dict) -> Any:
        answer = await self.session.host(summary, call, **data)
        if label in ("Expire", "Revoke"):
            self._token_note(label.lower(), answer)
        return answer

    # -- the calls, each with the summary the log shows -------------------------------------
    def _rotate(self, meeting: str) -> tuple[str, SimCall, dict]:
        channel = self.rotate_channel.currentData()
        self.force.setEnabled(False)
        self.token_note.setText("")
        return (
            f"rotate the {channel} URL (the client registers again)",
            lambda s: s.rotate(meeting, channel),
            {"mark": f"rotate {channel}", "target": channel},
        )

    def _tokens(self, meeting: str, action: str) -> tuple[str, SimCall, dict]:
        token_type = self.token_type.currentData()
        which = token_type or "all"
        return (
            f"{action} {which} tokens",
            lambda s: s.tokens(meeting, action, token_type),
            {"mark": f"{action} {short_token(token_type)}", "tokenType": token_type},
        )

    def _token_note(self, action: str, answer: Any) -> None:
        count = answer.get("tokens") if isinstance(answer, dict) else None
        past = "expired" if action == "expire" else "revoked"
        what = f"{count} token{'s' if count != 1 else ''}" if count is not None else "tokens"
        text = f"{what} {past}: seen at the next registration. Rotate now forces one."
        self.token_note.setText(text)
        self.token_note.setToolTip(text)
        self.force.setEnabled(True)

    def _rate_changed(self) -> None:
        if self.rate.hasFocus():  # the user, not the read-back
            self._rate_edited = True

    def _rate_call(self, meeting: str) -> tuple[str, SimCall]:
        self._rate_edited = False
        rate = self.rate.value()
        return f"transcription {rate:g}/s", lambda s: s.transcription(meeting, rate)

    def _feature_call(self) -> tuple[str, SimCall]:
        on = self.jwt_feature.isChecked()
        return (
            f"device feature data-channel-with-jwt-token {'on' if on else 'off'}",
            lambda s: set_features(s, on),
        )

    def _fault_call(self) -> tuple[str, SimCall, dict]:
        from app.ui.panels.sim_calls import post_fault

        body = self.fault_form.fault()
        mark = f"fault {body['endpoint']} {body.get('status', body['mode'])}"
        if body["mode"] in ("slow", "hang"):
            mark = f"fault {body['endpoint']} {body['mode']}"
        return (
            f"endpoint fault {describe_fault(body)}",
            lambda s: post_fault(s, body),
            {"mark": mark, "fault": body},
        )

    def _sock(
        self, meeting: str, pid: str | None, action: str, **kw: Any
    ) -> tuple[str, SimCall, dict]:
        channel = self.sock_channel.currentData()
        words = {"reset": "server reset", "halfopen": "server half-open", "shutdown": "drain"}
        if action == "latency":
            what = f"socket latency {channel} +{kw['ms']} ms"
            mark = f"+{kw['ms']}ms {short_channel(channel)}"
        else:
            what = f"{words.get(action, action)} {channel} socket"
            mark = f"{words.get(action, action)} {short_channel(channel)}"
        return (
            what,
            lambda s: s.socket(meeting, channel, action, participant_id=pid, **kw),
            {"mark": mark, "target": channel, "action": action, **kw},
        )

    def clear_one(self, row: ActiveFault) -> None:
        if row.clear is None:
            return
        call = row.clear
        task = self.session.spawn(
            f"Host clear {row.detail}",
            self.session.host(f"clear {row.detail}", call, mark=f"clear {row.what}"),
        )
        task.add_done_callback(lambda _t: self.refresh_state())

    def reset_faults(self) -> None:
        meeting, pid = self._ids()

        async def clear(sim: Any) -> None:
            await sim.clear_faults()
            if meeting is not None and pid is not None:
                for ch in ("device", "default", "practice"):  # "nothing done" if no socket
                    await sim.socket(meeting, ch, "latency", participant_id=pid, ms=0)

        task = self.session.spawn(
            "Reset faults",
            self.session.host("reset all faults and socket latency", clear, mark="reset faults"),
        )
        task.add_done_callback(lambda _t: self.refresh_state())

    # -- the server's view ----------------------------------------------------------------
    def set_active(self, on: bool) -> None:
        if on:
            self.poll.start()
            self.refresh_state()
        else:
            self.poll.stop()

    def refresh_state(self) -> None:
        meeting, _ = self._ids()
        if meeting is None or self.session.sim is None:
            return
        self.session.spawn("Host state", self._load_state(meeting))

    async def _load_state(self, meeting: str) -> None:
        sim = self.session.sim
        state = await sim.state(meeting)
        faults = await list_faults(sim)
        self.show_state(state, faults, meeting)

    def show_state(
        self, state: dict[str, Any], faults: list[dict[str, Any]], meeting: str | None = None
    ) -> None:
        self.last_state, self.last_faults = state, faults
        _, pid = self._ids()
        text = describe_state(state, pid)
        self.summary.setText(text)
        self.summary.setToolTip(text)
        rate = state.get("transcriptionPerSecond")
        if isinstance(rate, int | float) and not self.rate.hasFocus() and not self._rate_edited:
            self.rate.setValue(float(rate))  # the simulator's real rate, not a default
        self.faults.show_rows(active_faults(faults, state, meeting or state.get("meetingId")))
