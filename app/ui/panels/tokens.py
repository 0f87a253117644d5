"""Tokens panel: one row per datachannel token type, ages and countdowns ticking live."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core.events import MeetingSnapshot, TokenSnapshot
from app.core.locus import TOKEN_TYPES
from app.ui.fmt import clock, token_result
from app.ui.modes import in_meeting, set_enabled
from app.ui.session import Session
from app.ui.widgets import ElideLabel

HEADERS = ("token", "value", "source", "age", "expires", "result", "")
NARROW = 520  # below this width the source column gives its room to value and result
SHORT = {"llm-default-session": "default", "llm-practice-session": "practice"}


@dataclass
class _Row:
    kind: QLabel
    value: QLabel
    source: QLabel
    age: QLabel
    expires: QLabel
    result: QLabel
    refresh: QPushButton


class TokensPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rows: dict[str, _Row] = {}
        self._tokens: dict[str, TokenSnapshot] = {}
        self._busy: set[str] = set()
        self._practice = False
        self._joined = False
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        for col in (1, 5):  # the value and the result take the room there is
            self.grid.setColumnStretch(col, 1)
        for col, text in enumerate(HEADERS):
            # the stretching columns' headers elide too, so the panel fits a narrow column
            head = ElideLabel(text) if col in (1, 5) else QLabel(text)
            bold = head.font()
            bold.setBold(True)
            head.setFont(bold)
            self.grid.addWidget(head, 0, col)
            if col == 2:
                self._source_head = head
        for kind in TOKEN_TYPES:
            self._add_row(kind)
        lay = QVBoxLayout(self)
        lay.addLayout(self.grid)
        lay.addStretch(1)
        # ages and countdowns tick without waiting for a snapshot
        self.ticker = QTimer(self, interval=500)
        self.ticker.timeout.connect(self.tick)
        self.ticker.start()

    def _add_row(self, kind: str) -> _Row:
        r = len(self.rows) + 1
        # value, source and result elide to the dock's width (full text in the tooltip)
        labels: list[QLabel] = [
            ElideLabel("-") if col in (1, 2, 5) else QLabel("-") for col in range(6)
        ]
        labels[0].setText(SHORT.get(kind, kind))
        labels[0].setToolTip(kind)
        labels[1].setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = QPushButton("Refresh")
        button.setObjectName(f"refresh_{SHORT.get(kind, kind)}")
        button.clicked.connect(lambda _=False, k=kind: self.refresh(k))
        labels[2].setMinimumWidth(labels[2].fontMetrics().horizontalAdvance("refreshed") + 12)
        # Minimum, not Ignored: a grid gives an Ignored widget no room, and its minimum width
        # then drew it over the age column ("refreshed00:11")
        labels[2].setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        for clock_label in labels[3:5]:  # perf (issue 14): ticking clocks repaint, never relayout
            fm = clock_label.fontMetrics()
            widest = max(fm.horizontalAdvance(t) for t in ("-88:88:88", "expired", "never"))
            clock_label.setFixedSize(widest + 4, clock_label.sizeHint().height())
        row = _Row(*labels, button)
        for col, w in enumerate((*labels, button)):
            w.setObjectName(w.objectName() or f"token_{SHORT.get(kind, kind)}_{HEADERS[col]}")
            self.grid.addWidget(w, r, col)
        self.rows[kind] = row
        return row

    def refresh(self, kind: str) -> None:
        self._busy.add(kind)
        self.rows[kind].result.setText("refreshing…")
        self.rows[kind].refresh.setEnabled(False)
        task = self.session.spawn(
            f"Refresh {SHORT.get(kind, kind)} token", self.session.refresh_token(kind)
        )
        task.add_done_callback(lambda _t, k=kind: self._refreshed(k))

    def _refreshed(self, kind: str) -> None:
        self._busy.discard(kind)
        self._show(kind)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A narrow column (a laptop) drops the source column (the value's tooltip has it),
        so the value and the result keep room to be read."""
        super().resizeEvent(event)
        wide = event.size().width() >= NARROW
        if self._source_head.isHidden() == wide:
            self._source_head.setVisible(wide)
            for row in self.rows.values():
                row.source.setVisible(wide)

    def set_snapshot(self, snap: MeetingSnapshot) -> None:
        self._tokens = dict(snap.tokens)
        self._practice, self._joined = snap.practice_enabled, in_meeting(snap)
        for kind in self._tokens:
            if kind not in self.rows:
                self._add_row(kind)
        for kind in self.rows:
            self._show(kind)

    def tick(self) -> None:
        now, wall = time.monotonic(), time.time()
        for kind, row in self.rows.items():
            tok = self._tokens.get(kind)
            row.age.setText(clock(tok.age(now)) if tok else "-")
            left = tok.expires_in(wall) if tok else None
            if left is None:
                row.expires.setText("never" if tok and tok.fetched_at else "-")
                row.expires.setStyleSheet("")
            else:
                row.expires.setText("expired" if left <= 0 else clock(left))
                # PROTOCOL.md: within 30 s of exp already counts as expired
                row.expires.setStyleSheet("color:#d1242f;" if left < 30 else "")

    def _show(self, kind: str) -> None:
        row = self.rows[kind]
        tok = self._tokens.get(kind)
        busy = kind in self._busy
        why = "refreshing…" if busy else "" if self._joined else "not in a meeting: join first"
        set_enabled(row.refresh, not why, why)
        held = tok is not None and tok.fetched_at is not None
        if not busy:  # the result of the token on screen now, or "-" once it is gone
            row.result.setText(token_result(tok, self._practice))
            row.result.setToolTip(tok.last_result if tok is not None else "")
            row.result.setStyleSheet("" if tok is None or tok.last_ok else "color:#d1242f;")
        if tok is None or not held:
            for w in (row.value, row.source, row.age, row.expires):
                w.setText("-")
            row.value.setToolTip("")
            return
        row.value.setText(tok.masked)  # already masked by the core: never the whole token
        row.value.setToolTip(f"{tok.decode_error or 'JWT (masked)'} · {tok.source or '-'}")
        row.source.setText(tok.source or "-")
        self.tick()
