"""Help > About: the version (from pyproject, via the installed metadata) and what runs where."""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtWidgets import QMessageBox, QWidget

from app import __version__


def about_text(backend: str) -> str:
    return (
        f"<h3>dcmon {__version__}</h3>"
        "<p>A monitor for meeting data channels: device socket, default and "
        "practice-session data channels, tokens, latency and events.</p>"
        f"<p>Backend: {backend}<br>PySide6 {pyside_version}</p>"
    )


def show_about(parent: QWidget, backend: str) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Information, "About dcmon", about_text(backend), parent=parent
    )
    box.open()  # never exec() under qasync
    return box
