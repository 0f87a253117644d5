"""Application-wide look: names (for QSettings), icon, a style sheet that uses only palette
roles, and a palette that follows the system's light/dark colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app.ui.resources import resource_path


def setup_application(app: QApplication) -> None:
    app.setApplicationName("dcmon")
    app.setOrganizationName("dcmon")
    app.setApplicationDisplayName("dcmon")
    app.setDesktopFileName("dcmon")
    icon = resource_path("dcmon.svg") or resource_path("dcmon.png")
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    # Fusion honours the platform's light/dark palette everywhere (including Windows).
    app.setStyle("Fusion")
    qss = resource_path("style.qss")
    if qss is not None:
        # palette(...) references in the sheet keep it right in light and dark modes
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
    follow_color_scheme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _s: follow_color_scheme(app))


def follow_color_scheme(app: QApplication) -> None:
    """Desktops with a Qt theme plugin switch the palette themselves; where the system says
    'dark' but the palette stayed light (plain xcb, a portal without a Qt theme), we do."""
    scheme = app.styleHints().colorScheme()
    window = app.palette().color(QPalette.ColorRole.Window)
    if scheme == Qt.ColorScheme.Dark and window.lightness() > 128:
        app.setPalette(dark_palette())
    elif scheme == Qt.ColorScheme.Light and window.lightness() < 128:
        app.setPalette(app.style().standardPalette())


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.ToolTipBase: "#2d2f33",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#8a8f98",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2f33",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Light: "#3c4043",
        QPalette.ColorRole.Midlight: "#303236",
        QPalette.ColorRole.Mid: "#4a4d52",
        QPalette.ColorRole.Dark: "#111214",
        QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.Highlight: "#2f81f7",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#58a6ff",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b6f76"))
    return p
