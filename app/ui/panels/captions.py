"""Live transcription from the default and practice channels: proof that resubscribe worked.

Captions are queued as they arrive and appended in one block every FLUSH_MS: one document
edit and one repaint per batch instead of one per caption. The document keeps the last
MAX_LINES lines; the counts under it are refreshed at most twice a second.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.core.events import CoreEvent, EventKind
from app.core.incidents import CaptionGaps
from app.ui.fmt import wall_clock
from app.ui.frames import frames

MAX_LINES = 1000  # bounded, like everything that grows
FLUSH_MS = 100
STATUS_MS = 500


class CaptionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit(objectName="captions", readOnly=True)
        # no setMaximumBlockCount: it trims block by block (~30 us a line); _trim removes the
        # oldest lines in one edit. No undo stack either: it would keep every trimmed line.
        self.text.setUndoRedoEnabled(False)
        self.text.setPlaceholderText(
            "Captions appear here once a data channel is online and subscribed to transcription"
        )
        self.interim = QLabel("", objectName="interim")
        self.status = QLabel("no captions yet", objectName="captionCounts")
        self.counts: Counter[str] = Counter()  # captions shown so far, per channel
        self.batches = 0  # document edits (one per flush)
        # lines not shown yet; more than a document's worth would be trimmed at once anyway
        self._queue: deque[tuple[str, str]] = deque(maxlen=MAX_LINES)
        self._skipped: Counter[str] = Counter()  # queued lines that fell off the queue
        self._interim: str | None = None  # latest interim text, None = unchanged
        self._status_dirty = False
        self._gaps = CaptionGaps()  # a marker line where captions were lost or late
        self.gap_markers = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.interim)
        lay.addWidget(self.status)
        # paced at FLUSH_MS; the edit itself waits for a frame slot of its own (frames.py)
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush_timer.timeout.connect(lambda: frames().request(self.flush))
        self._status_timer = QTimer(self, interval=STATUS_MS)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()

    # -- input ----------------------------------------------------------------------------
    def on_event(self, ev: CoreEvent) -> None:
        self.on_events((ev,))

    def on_events(self, events: Iterable[CoreEvent]) -> None:
        queued = False
        for ev in events:
            if ev.kind is not EventKind.TRANSCRIPT:
                continue
            words = str(ev.data.get("text", "")).strip()
            if not ev.data.get("final", True):
                self._interim = f"{ev.channel} … {words}"
            else:
                self._interim = ""
                if len(self._queue) == self._queue.maxlen:
                    self._skipped[self._queue[0][0]] += 1
                gap = self._gaps.feed(ev.channel, ev.wall)
                if gap is not None:  # channel "": a marker, not a caption
                    seconds, lost = gap
                    self.gap_markers += 1
                    self._queue.append(
                        (
                            "",
                            f"──── {seconds:.1f} s without captions on {ev.channel} "
                            f"(~{lost} lost or late) ────",
                        )
                    )
                line = f"{wall_clock(ev.wall, millis=False)}  {ev.channel:>8}  {words}"
                self._queue.append((ev.channel, line))
            queued = True
        if queued and not self._flush_timer.isActive() and not frames().pending(self.flush):
            self._flush_timer.start()

    # -- output ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Append everything queued as one edit (the timer calls it; tests and review may)."""
        self._flush_timer.stop()
        frames().cancel(self.flush)
        if self._interim is not None:
            self.interim.setText(self._interim)
            self._interim = None
        if not self._queue:
            return
        lines = [line for _, line in self._queue]
        self.counts.update(ch for ch, _ in self._queue if ch)
        self.counts.update({ch: n for ch, n in self._skipped.items() if ch})
        self._queue.clear()
        self._skipped.clear()
        bar = self.text.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 2  # else the user scrolled up to read
        self.text.appendPlainText("\n".join(lines))  # one block per line, in one edit
        self._trim()
        if following:
            bar.setValue(bar.maximum())
        self.batches += 1
        self._status_dirty = True

    def _trim(self) -> None:
        doc = self.text.document()
        excess = doc.blockCount() - MAX_LINES
        if excess > 0:  # the oldest lines go, in one edit
            cut = QTextCursor(doc)
            start_of_kept = doc.findBlockByNumber(excess).position()
            cut.setPosition(start_of_kept, QTextCursor.MoveMode.KeepAnchor)
            cut.removeSelectedText()

    def _update_status(self) -> None:
        if not self._status_dirty:
            return
        self._status_dirty = False
        self.status.setText(
            " · ".join(f"{ch}: {n} captions" for ch, n in sorted(self.counts.items()))
        )

    def shown_lines(self) -> list[str]:
        """The lines the document holds, oldest first."""
        text = self.text.toPlainText()
        return text.split("\n") if text else []
