"""Small shared widgets: a label that shortens long text but copies the full one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QLabel, QWidget

from app.ui.fmt import shorten


class CopyLabel(QLabel):
    """Shows `shorten(text)`; hover shows the full text, right-click copies it."""

    def __init__(self, limit: int = 48, parent: QWidget | None = None) -> None:
        super().__init__("-", parent)
        self.limit = limit
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
        self.setText(shorten(text, self.limit))
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
