"""Small shared widgets: labels that elide to their width, the error banner."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElideLabel(QLabel):
    """One line that elides to its width (never clipped into garbage like "…econnect (norm"):
    text() stays the full text, the tooltip shows it whenever it does not fit."""

    def __init__(
        self,
        text: str = "-",
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(text, parent)
        self._mode = mode
        self._own_tip = ""
        self._text = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def setText(self, text: str) -> None:
        """Perf (issue 14): a new text of the same shape (one non-empty line) only repaints
        this label. QLabel.setText would also ask every layout up to the dock (or the whole
        main window) to be redone, and these labels tick 10-20 times a second; their width
        policy is Ignored, so a text of the same shape cannot change the layout."""
        old, self._text = self._text, text
        same_shape = bool(old) and bool(text) and "\n" not in old + text
        selectable = self.textInteractionFlags() & (
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        if not same_shape or selectable:  # selection works on QLabel's own copy of the text
            super().setText(text)
            if self.accessibleName():
                self.setAccessibleName("")  # QLabel's own text is current again
        elif text != old:
            self.setAccessibleName(text)  # what QLabel's own text would tell a screen reader
            self.update()

    def text(self) -> str:
        return self._text

    def minimumSizeHint(self) -> QSize:
        return QSize(16, super().minimumSizeHint().height())

    def elided(self) -> str:
        return self.fontMetrics().elidedText(self.text(), self._mode, self.contentsRect().width())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = self.alignment() | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), int(align), self.elided())


class CopyLabel(ElideLabel):
    """Elides to its width (the middle, for URLs); hover shows the full text, right-click
    copies it."""

    def __init__(
        self,
        limit: int = 48,
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle,  # URLs: host and tail
    ) -> None:
        super().__init__("-", mode, parent)
        self.limit = limit  # kept for callers; the width decides now
        self.full = ""
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy = QAction("Copy full text", self)
        copy.triggered.connect(self.copy)
        self.addAction(copy)

    def set_full(self, text: str | None) -> None:
        text = text or ""
        if text == self.full:
            return
        self.full = text
        self.setText(text or "-")
        self.setToolTip(text)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.full)


class Banner(QWidget):
    """A readable error line at the top of the window, dismissable; never a dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QHBoxLayout, QToolButton

        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel("", objectName="bannerText", wordWrap=True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(text="✕", objectName="bannerClose", autoRaise=True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 2, 4, 2)
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.count = 0
        self.setStyleSheet(
            "#banner { background: #d1242f; border-radius: 4px; }"
            "#bannerText, #bannerClose { color: white; font-weight: bold; }"
        )
        self.hide()

    def show_error(self, message: str) -> None:
        self.count += 1
        more = f"  ({self.count} errors, see the event log)" if self.count > 1 else ""
        self.label.setText(message + more)
        self.show()

    def dismiss(self) -> None:
        self.count = 0
        self.hide()
