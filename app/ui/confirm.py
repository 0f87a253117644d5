"""Non-modal confirmation for destructive buttons (open(), never exec() under qasync)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

KEY = "ui/confirm_destructive"


class Confirmer(QObject):
    changed = Signal(bool)

    def __init__(self, parent: QWidget, settings: QSettings) -> None:
        super().__init__(parent)
        self._parent = parent
        self._settings = settings
        self.box: QMessageBox | None = None  # the open question, for tests and re-entry

    @property
    def enabled(self) -> bool:
        return str(self._settings.value(KEY, "true")).lower() == "true"

    def set_enabled(self, on: bool) -> None:
        self._settings.setValue(KEY, "true" if on else "false")
        self.changed.emit(on)

    def ask(self, title: str, text: str, on_yes: Callable[[], None]) -> None:
        if not self.enabled:
            on_yes()
            return
        if self.box is not None:  # one question at a time
            self.box.close()
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            title,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self._parent,
        )
        box.setObjectName("confirm")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        # parented and referenced here: a temporary QCheckBox passed to setCheckBox is
        # collected by Python and box.checkBox() then returns a dangling pointer (segfault)
        never_again = QCheckBox("Don't ask again (Options menu turns it back on)", box)
        box.setCheckBox(never_again)

        def done(result: int) -> None:
            if self.box is box:
                self.box = None
            if result == QMessageBox.StandardButton.Yes.value:
                if never_again.isChecked():
                    self.set_enabled(False)
                on_yes()
            box.deleteLater()

        box.finished.connect(done)
        self.box = box
        box.open()
