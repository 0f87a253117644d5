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
from app.ui.errors import readable
from app.ui.fmt import stamp, wall_clock
from app.ui.modes import in_meeting, set_enabled
from app.ui.session import DEMO_MEETING, Session

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
        # the problem line shows the newest error (a failed Join, or the core's), never
        # an old one after a later success (issue 12, item 4)
        self._core_error: str | None = None  # the core's last_error as last seen
        self._dismissed: str | None = None  # a core error that a newer Join made stale
        self._joining = False
        self._blocked = ""  # why Join is off besides being in a meeting (a scenario run)
        self._in_meeting = False
        self._meeting_id: str | None = None
        self._keep_alive_base = 0
        self._generation: int | None = None

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
        self.problem.setStyleSheet("color:#d1242f;")
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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

    @property
    def remembered_meeting(self) -> str:
        return str(self.qsettings.value("join/meeting", "") or "")

    def prefill(self, server: str, meeting: str | None, name: str | None) -> None:
        self.server.setText(server)
        if meeting:
            self.meeting.setText(meeting)
        elif not self.meeting.text():
            self.meeting.setText(DEMO_MEETING)
        if name:
            self.name.setText(name)
        if not self.name.text():
            self.name.setText("QA")

    # -- commands -------------------------------------------------------------------------
    def join(self) -> None:
        if not self.join_button.isEnabled() or self._joining:
            return
        values = {"server": self.server, "meeting": self.meeting, "name": self.name}
        for key, w in values.items():
            # the embedded simulator's port changes every run: not worth remembering
            if key == "server" and self.session.backend and self.session.backend.embedded:
                continue
            self.qsettings.setValue(f"join/{key}", w.text().strip())
        self._joining = True
        self._dismissed = self._core_error  # whatever failed before is not news any more
        self.show_problem(None)
        self._update_join()
        task = self.session.spawn(
            "Join",
            self.session.join(self.server.text(), self.meeting.text(), self.name.text().strip()),
        )
        task.add_done_callback(self._join_done)

    def _join_done(self, task: object) -> None:
        self._joining = False
        exc = None
        if hasattr(task, "cancelled") and not task.cancelled():  # type: ignore[attr-defined]
            exc = task.exception()  # type: ignore[attr-defined]
        if exc is not None:
            self.show_problem(readable("Join", exc))
        self._update_join()

    def show_problem(self, text: str | None) -> None:
        self.problem.setText(text or "")
        self.problem.setToolTip(text or "")
        self.problem.setVisible(bool(text))

    def set_blocked(self, why: str) -> None:
        """Join off for a reason of the window's (a scenario run), said in the tooltip."""
        if why != self._blocked:
            self._blocked = why
            self._update_join()

    def _update_join(self) -> None:
        why = self._blocked
        if not why and self._in_meeting:
            why = f"in {self._meeting_id or 'a meeting'}: Leave first"
        if not why and self._joining:
            why = "joining…"
        set_enabled(self.join_button, not why, why)

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
        if snap.keep_alives < self._keep_alive_base:  # another client: counts restart
            self._keep_alive_base = 0
        if snap.generation != self._generation:
            # counts of this meeting only: a new join starts from what the client had sent
            if self._generation is not None:
                self._keep_alive_base = snap.keep_alives
            self._generation = snap.generation
        keep_alives = snap.keep_alives - self._keep_alive_base
        if keep_alives:
            bits.append(f"keep-alives {keep_alives}")
        self.where.setText(" · ".join(bits))
        self._in_meeting, self._meeting_id = in_meeting(snap), snap.meeting_id
        set_enabled(self.leave_button, self._in_meeting, "not in a meeting")
        self._update_join()
        err = snap.last_error
        if err != self._core_error:
            shown_is_core = self.problem.isVisible() and self.problem.text() == self._core_error
            self._core_error = err
            if err and err != self._dismissed:
                self.show_problem(err)
            elif not err and shown_is_core:
                self.show_problem(None)  # the core's condition is over
        if len(snap.timeline) != self._timeline_len:
            self._timeline_len = len(snap.timeline)
            self.timeline.clear()
            for mark in snap.timeline:
                item = QTreeWidgetItem([stamp(mark.t), mark.label])
                item.setToolTip(0, wall_clock(mark.wall))
                self.timeline.addTopLevelItem(item)
            self.timeline.scrollToBottom()

    def _paint_badge(self, badge: str) -> None:
        if getattr(self, "_badge_shown", None) == badge:
            return  # perf: a style sheet re-polishes and relays out the panel (issue 14)
        self._badge_shown = badge
        self.badge.setText(badge)
        color = BADGE_COLORS.get(badge, "#6e7781")
        self.badge.setStyleSheet(
            f"background:{color}; color:white; border-radius:4px; padding:2px 8px;font-weight:bold;"
        )
