"""Small shared widgets: labels that elide to their width, the error banner."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QPainter, QPaintEvent, QResizeEvent
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
    """A readable error line at the top of the window, dismissable; never a dialog.
    `shown` tells its holder (a toolbar) to take no room while there is nothing to say."""

    shown = Signal(bool)

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
        # a QWidget subclass paints no style-sheet background without this (white on grey)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#banner { background: #d1242f; border-radius: 4px; }"
            "#bannerText, #bannerClose { color: white; font-weight: bold; }"
        )
        self.hide()

    def show_error(self, message: str) -> None:
        self.count += 1
        more = f"  ({self.count} errors, see the event log)" if self.count > 1 else ""
        self.label.setText(message + more)
        self.shown.emit(True)  # the holder first: a toolbar shown later hides its widgets
        self.show()

    def dismiss(self) -> None:
        self.count = 0
        self.hide()
        self.shown.emit(False)


class ReflowRow(QWidget):
    """`main` and `extra` side by side when the width holds both, `extra` on a second line
    when it does not: a laptop keeps every control whole, a wide screen saves a line."""

    def __init__(self, main: QWidget, extra: QWidget, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QGridLayout

        super().__init__(parent)
        self.main, self.extra = main, extra
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(0, 1)
        self.grid.addWidget(main, 0, 0)
        self.one_line: bool | None = None
        self._place(True)

    def needed(self) -> int:
        """The width both need on one line."""
        return self.main.minimumSizeHint().width() + self.extra.sizeHint().width() + 12

    def _place(self, one_line: bool) -> None:
        if one_line == self.one_line:
            return
        self.one_line = one_line
        self.grid.removeWidget(self.extra)  # only `extra` moves; `main` stays at (0, 0)
        if one_line:
            self.grid.addWidget(self.extra, 0, 1)
        else:
            self.grid.addWidget(self.extra, 1, 0, Qt.AlignmentFlag.AlignLeft)

    def minimumSizeHint(self) -> QSize:
        # never wider than the two-line form: the one-line form is a choice, not a need
        main, extra = self.main.minimumSizeHint(), self.extra.sizeHint()
        width = max(main.width(), extra.width())
        height = main.height() if self.one_line else main.height() + extra.height() + 6
        return QSize(width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place(event.size().width() >= self.needed())
        super().resizeEvent(event)


class FixedTextBox(QWidget):
    """Holds a label whose text changes often (a live legend) at a size fixed by this box, so
    setText repaints the label and never re-lays out the panel: QLabel.setText asks its parent
    for a new layout unless the label's size is fixed in both directions."""

    def __init__(self, label: QLabel, lines: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        label.setParent(self)  # no layout: placed by resizeEvent
        self.setFixedHeight(label.fontMetrics().lineSpacing() * lines + 4)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.label.setFixedSize(event.size())
        super().resizeEvent(event)
