"""Non-modal confirmation for destructive buttons (open(), never exec() under qasync).

One setting per kind of question (issue 12, item 11): "don't ask again" on a Drop turns off
Drop questions only, never "Run scenario leaves your meeting". The master switch
(Options > Confirm destructive actions) turns them all off at once and stays the key the
test fixtures and scripts set.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

KEY = "ui/confirm_destructive"
KIND_KEY = "ui/confirm/{kind}"
# kind -> what the Options menu calls it
KINDS: dict[str, str] = {
    "drop": "Drop a socket",
    "fault": "Reset / half-open a socket",
    "scenario": "Run scenario (leaves the meeting)",
    "other": "Other questions",
}


def kind_of(title: str) -> str:
    """The kind of a question asked without one (callers outside this package)."""
    low = title.lower()
    for prefix, kind in (
        ("drop", "drop"),
        ("reset", "fault"),
        ("halfopen", "fault"),
        ("half-open", "fault"),
        ("run scenario", "scenario"),
    ):
        if low.startswith(prefix):
            return kind
    return "other"


class Confirmer(QObject):
    changed = Signal(bool)  # the master switch
    kind_changed = Signal(str, bool)

    def __init__(self, parent: QWidget, settings: QSettings) -> None:
        super().__init__(parent)
        self._parent = parent
        self._settings = settings
        self.box: QMessageBox | None = None  # the open question, for tests and re-entry
        self.box_kind: str | None = None

    @property
    def enabled(self) -> bool:
        return str(self._settings.value(KEY, "true")).lower() == "true"

    def set_enabled(self, on: bool) -> None:
        self._settings.setValue(KEY, "true" if on else "false")
        self.changed.emit(on)

    def kind_enabled(self, kind: str) -> bool:
        return str(self._settings.value(KIND_KEY.format(kind=kind), "true")).lower() == "true"

    def set_kind_enabled(self, kind: str, on: bool) -> None:
        self._settings.setValue(KIND_KEY.format(kind=kind), "true" if on else "false")
        self.kind_changed.emit(kind, on)

    def will_ask(self, kind: str) -> bool:
        return self.enabled and self.kind_enabled(kind)

    def ask(
        self, title: str, text: str, on_yes: Callable[[], None], kind: str | None = None
    ) -> None:
        kind = kind or kind_of(title)
        if not self.will_ask(kind):
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
        label = KINDS.get(kind, KINDS["other"]).lower()
        never_again = QCheckBox(
            f"Don't ask again for: {label} (Options menu turns it back on)", box
        )
        box.setCheckBox(never_again)

        def done(result: int) -> None:
            if self.box is box:
                self.box, self.box_kind = None, None
            if result == QMessageBox.StandardButton.Yes.value:
                if never_again.isChecked():
                    self.set_kind_enabled(kind, False)
                on_yes()
            box.deleteLater()

        box.finished.connect(done)
        self.box, self.box_kind = box, kind
        box.open()
