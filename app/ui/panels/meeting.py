"""Meeting panel: join form (remembered), phase badge, roles, phase timeline, Leave."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.events import MeetingSnapshot
from app.ui.fmt import stamp, wall_clock
from app.ui.session import Session

BADGE_COLORS = {
    "Not joined": "#6e7781",
    "Joining": "#6e7781",
    "Lobby": "#bf8700",
    "Admitted": "#1a7f37",
    "Panelist": "#0969da",
    "Practice session": "#8250df",
    "Left": "#6e7781",
}


class MeetingPanel(QWidget):
    def __init__(self, session: Session, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.qsettings = settings
        self._timeline_len = -1

        self.server = QLineEdit(placeholderText="http://127.0.0.1:8400")
        self.meeting = QLineEdit(placeholderText="meeting id")
        self.name = QLineEdit(placeholderText="display name")
        for w, key in ((self.server, "server"), (self.meeting, "meeting"), (self.name, "name")):
            w.setObjectName(f"join_{key}")
            w.setText(str(settings.value(f"join/{key}", "") or ""))
            w.returnPressed.connect(self.join)
        self.join_button = QPushButton("&Join")
        self.join_button.setObjectName("join")
        self.join_button.clicked.connect(self.join)
        self.leave_button = QPushButton("Lea&ve")
        self.leave_button.setObjectName("leave")
        self.leave_button.clicked.connect(self.leave)
        self.leave_button.setEnabled(False)

        self.badge = QLabel("Not joined")
        self.badge.setObjectName("phaseBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.roles = QLabel("-")
        self.roles.setObjectName("roles")
        self.where = QLabel("")
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where.setWordWrap(True)
        self.problem = QLabel("")
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.timeline = QTreeWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.setHeaderLabels(["time", "transition"])
        self.timeline.setRootIsDecorated(False)
        self.timeline.setColumnWidth(0, 64)
        self.timeline.setMinimumHeight(110)

        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("Meeting", self.meeting)
        form.addRow("Name", self.name)
        buttons = QHBoxLayout()
        buttons.addWidget(self.join_button)
        buttons.addWidget(self.leave_button)
        state = QHBoxLayout()
        state.addWidget(self.badge)
        state.addWidget(self.roles, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addLayout(state)
        lay.addWidget(self.where)
        lay.addWidget(self.problem)
        lay.addWidget(self.timeline, 1)
        self._paint_badge("Not joined")

    def prefill(self, server: str, meeting: str | None, name: str | None) -> None:
        self.server.setText(server)
        if meeting:
            self.meeting.setText(meeting)
        if name:
            self.name.setText(name)
        if not self.name.text():
            self.name.setText("QA")

    # -- commands -------------------------------------------------------------------------
    def join(self) -> None:
        if not self.join_button.isEnabled():
            return
        values = {"server": self.server, "meeting": self.meeting, "name": self.name}
        for key, w in values.items():
            # the embedded simulator's port changes every run: not worth remembering
            if key == "server" and self.session.backend and self.session.backend.embedded:
                continue
            self.qsettings.setValue(f"join/{key}", w.text().strip())
        self.join_button.setEnabled(False)
        task = self.session.spawn(
            "Join",
            self.session.join(self.server.text(), self.meeting.text(), self.name.text().strip()),
        )
        task.add_done_callback(lambda _t: self._join_done())

    def _join_done(self) -> None:
        self.join_button.setEnabled(True)

    def leave(self) -> None:
        self.session.spawn("Leave", self.session.leave())

    # -- view -----------------------------------------------------------------------------
    def set_snapshot(self, snap: MeetingSnapshot) -> None:
        self._paint_badge(snap.badge)
        self.roles.setText(", ".join(snap.roles) if snap.roles else "-")
        bits = []
        if snap.meeting_id:
            bits.append(f"meeting {snap.meeting_id}")
        if snap.participant_id:
            bits.append(f"participant {snap.participant_id}")
        if snap.practice_enabled:
            bits.append("practice session running")
        if snap.keep_alives:
            bits.append(f"keep-alives {snap.keep_alives}")
        self.where.setText(" · ".join(bits))
        in_meeting = snap.badge not in ("Not joined", "Left")
        self.leave_button.setEnabled(in_meeting)
        self.problem.setVisible(bool(snap.last_error))
        self.problem.setText(snap.last_error or "")
        if len(snap.timeline) != self._timeline_len:
            self._timeline_len = len(snap.timeline)
            self.timeline.clear()
            for mark in snap.timeline:
                item = QTreeWidgetItem([stamp(mark.t), mark.label])
                item.setToolTip(0, wall_clock(mark.wall))
                self.timeline.addTopLevelItem(item)
            self.timeline.scrollToBottom()

    def _paint_badge(self, badge: str) -> None:
        self.badge.setText(badge)
        color = BADGE_COLORS.get(badge, "#6e7781")
        self.badge.setStyleSheet(
            f"background:{color}; color:white; border-radius:4px; padding:2px 8px;font-weight:bold;"
        )
