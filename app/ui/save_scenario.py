"""File > Save session as scenario…: the session so far as a scenario file, editable first.

The window keeps an in-memory recording of the live session (events, snapshots and the
actions taken, app.ui.incident_wiring); this dialog turns it into TOML with
`app.scenario.from_session`, lets the user edit it, validates it with the scenario loader
and saves it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.scenario.from_session import Options, scenario_from_session
from app.scenario.loader import ScenarioError, load_text
from app.scenario.recording import Session


class SaveScenarioDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saveScenarioDialog")
        self.setWindowTitle("Save session as scenario")
        self.resize(900, 700)
        self.session = session
        self.saved_to: str | None = None
        self.name = QLineEdit("Saved session", objectName="scenarioName")
        self.keep_timing = QCheckBox("keep the pauses between actions", objectName="keepTiming")
        self.text = QPlainTextEdit(objectName="scenarioText")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.problem = QLabel("", objectName="scenarioProblem", wordWrap=True)
        self.problem.setStyleSheet("color:#d1242f;")
        self.save_button = QPushButton("Save…", objectName="scenarioSave")
        self.save_button.clicked.connect(self.ask_path)
        cancel = QPushButton("Close")
        cancel.clicked.connect(self.close)
        top = QHBoxLayout()
        top.addWidget(QLabel("name"))
        top.addWidget(self.name, 1)
        top.addWidget(self.keep_timing)
        regenerate = QPushButton("Regenerate", objectName="scenarioRegenerate")
        regenerate.setToolTip("start again from the session (your edits are lost)")
        regenerate.clicked.connect(self.generate)
        top.addWidget(regenerate)
        buttons = QHBoxLayout()
        buttons.addWidget(self.problem, 1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(
            QLabel(
                f"{len(session.actions)} actions; after each, what was observed. "
                "Edit freely: the file is checked before it is saved."
            )
        )
        lay.addWidget(self.text, 1)
        lay.addLayout(buttons)
        self.generate()

    def generate(self) -> None:
        name = self.name.text().strip() or "Saved session"
        meeting = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower())[:60]
        options = Options(
            name=name, meeting=meeting or "saved", keep_timing=self.keep_timing.isChecked()
        )
        self.text.setPlainText(scenario_from_session(self.session, options))

    def check(self, file: str = "<saved session>") -> bool:
        try:
            load_text(self.text.toPlainText(), file)
        except ScenarioError as exc:
            self.problem.setText(str(exc))
            return False
        self.problem.setText("")
        return True

    def ask_path(self) -> None:
        if not self.check():
            return
        dlg = QFileDialog(self, "Save scenario")
        dlg.setObjectName("saveScenarioFile")
        dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dlg.setDefaultSuffix("toml")
        dlg.setNameFilter("Scenario files (*.toml)")
        dlg.selectFile(f"{self.name.text().strip().lower().replace(' ', '_') or 'session'}.toml")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(self.save)
        dlg.open()

    def save(self, path: str | Path) -> bool:
        if not self.check(str(path)):
            return False
        try:
            Path(path).write_text(self.text.toPlainText(), encoding="utf-8")
        except OSError as exc:
            self.problem.setText(f"cannot write {path}: {exc.strerror or exc}")
            return False
        self.saved_to = str(path)
        self.problem.setText("")
        self.setWindowTitle(f"Saved to {path}")
        return True
