"""Live transcription from the default and practice channels: proof that resubscribe worked."""

from __future__ import annotations

from collections import Counter

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.core.events import CoreEvent, EventKind
from app.ui.fmt import wall_clock


class CaptionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit(objectName="captions", readOnly=True)
        self.text.setMaximumBlockCount(1000)  # bounded, like everything that grows
        self.text.setPlaceholderText(
            "Captions appear here once a data channel is online and subscribed to transcription"
        )
        self.interim = QLabel("", objectName="interim")
        self.status = QLabel("no captions yet", objectName="captionCounts")
        self.counts: Counter[str] = Counter()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.interim)
        lay.addWidget(self.status)

    def on_event(self, ev: CoreEvent) -> None:
        if ev.kind is not EventKind.TRANSCRIPT:
            return
        words = str(ev.data.get("text", "")).strip()
        if not ev.data.get("final", True):
            self.interim.setText(f"{ev.channel} … {words}")
            return
        self.interim.setText("")
        self.counts[ev.channel] += 1
        self.text.appendPlainText(f"{wall_clock(ev.wall, millis=False)}  {ev.channel:>8}  {words}")
        self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.status.setText(
            " · ".join(f"{ch}: {n} captions" for ch, n in sorted(self.counts.items()))
        )
