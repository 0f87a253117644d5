"""File > Compare runs…: two recordings or scenario reports side by side.

The same comparison as `python -m app compare` (app.analysis.compare): the differences in
words, the figures with their change, the event sequences aligned (what happened in one and
not the other), the incidents of each with their figures, and the verdict per step.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.analysis.compare import Comparison, compare
from app.analysis.figures import FIGURES, show
from app.analysis.runs import Run, RunFormatError, load_runs, pick
from app.analysis.tables import HEADER, incident_row

ONLY_A, ONLY_B, WORSE = QColor("#ffebe9"), QColor("#dafbe1"), QColor("#fff8c5")
FILTERS = ["dcmon runs (*.jsonl *.json)", "All files (*)"]


def _table(name: str, headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers), objectName=name)
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def _fill(
    t: QTableWidget, rows: list[list[str]], colors: list[QColor | None] | None = None
) -> None:
    t.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            color = colors[r] if colors else None
            if color is not None:
                item.setBackground(color)
                item.setForeground(QColor("#1f2328"))
            t.setItem(r, c, item)


class CompareView(QWidget):
    """A window of its own (not modal): open A, open B, read the differences."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareView")
        self.setWindowTitle("Compare runs")
        self.resize(1200, 800)
        self.runs: dict[str, Run | None] = {"A": None, "B": None}
        self.comparison: Comparison | None = None
        self.labels: dict[str, QLabel] = {}
        top = QVBoxLayout()
        for side in ("A", "B"):
            row = QHBoxLayout()
            button = QPushButton(f"Open {side}…", objectName=f"compareOpen{side}")
            button.clicked.connect(lambda _=False, s=side: self.ask(s))
            label = QLabel("-", objectName=f"compareLabel{side}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.labels[side] = label
            row.addWidget(QLabel(f"<b>{side}</b>"))
            row.addWidget(button)
            row.addWidget(label, 1)
            top.addLayout(row)
        self.error = QLabel("", objectName="compareError")
        self.error.setStyleSheet("color:#d1242f;")
        self.differences = QLabel("open two runs", objectName="compareDifferences")
        self.differences.setWordWrap(True)
        self.differences.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figures = _table("compareFigures", ["figure", "A", "B", "change", "what"])
        self.sequence = _table("compareSequence", ["", "A", "B"])
        incidents = QWidget()
        inc_lay = QHBoxLayout(incidents)
        self.incidents = {s: _table(f"compareIncidents{s}", HEADER) for s in ("A", "B")}
        for side, table in self.incidents.items():
            col = QVBoxLayout()
            col.addWidget(QLabel(f"<b>{side}</b>"))
            col.addWidget(table)
            inc_lay.addLayout(col)
        self.steps = _table("compareSteps", ["#", "step", "A", "B"])
        self.tabs = QTabWidget(objectName="compareTabs")
        self.tabs.addTab(self.figures, "Figures")
        self.tabs.addTab(incidents, "Incidents")
        self.tabs.addTab(self.sequence, "Event sequence")
        self.tabs.addTab(self.steps, "Steps")
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.error)
        lay.addWidget(self.differences)
        lay.addWidget(self.tabs, 1)

    # -- input ----------------------------------------------------------------------------
    def ask(self, side: str) -> None:
        dlg = QFileDialog(self, f"Compare: run {side}")
        dlg.setObjectName(f"compareDialog{side}")
        dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
        dlg.setNameFilters(FILTERS)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.fileSelected.connect(lambda path: self.open_file(side, path))
        dlg.open()  # never exec() under qasync

    def open_file(self, side: str, path: str | Path, name: str | None = None) -> bool:
        """Load one side; a report with several files takes its first (or `name`)."""
        try:
            runs = load_runs(path)
            run = pick(runs, name, str(path)) if name or len(runs) == 1 else runs[0]
        except RunFormatError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        self.set_run(side, run)
        return True

    def set_run(self, side: str, run: Run) -> None:
        self.runs[side] = run
        self.labels[side].setText(run.label)
        a, b = self.runs["A"], self.runs["B"]
        if a is not None and b is not None:
            self.show_comparison(compare(a, b))

    # -- output ---------------------------------------------------------------------------
    def show_comparison(self, c: Comparison) -> None:
        self.comparison = c
        diffs = c.differences
        self.differences.setText(
            "<b>differences</b><br>" + "<br>".join(_html(d) for d in diffs)
            if diffs
            else "<b>no notable differences</b>"
        )
        rows, colors = [], []
        for f in c.figures:
            if f.a is None and f.b is None:
                continue
            rows.append([f.name, show(f.name, f.a), show(f.name, f.b), f.change, FIGURES[f.name]])
            colors.append(WORSE if f.notable else None)
        _fill(self.figures, rows, colors)
        seq_rows, seq_colors = [], []
        for r in c.sequence:
            seq_rows.append([{"=": "", "-": "only A", "+": "only B"}[r.op], r.a or "", r.b or ""])
            seq_colors.append({"=": None, "-": ONLY_A, "+": ONLY_B}[r.op])
        _fill(self.sequence, seq_rows, seq_colors)
        for side, run in (("A", c.a), ("B", c.b)):
            _fill(self.incidents[side], [incident_row(i) for i in run.incidents])
        step_rows = [[str(s.index), s.description, s.a or "-", s.b or "-"] for s in c.steps]
        _fill(self.steps, step_rows, [None if s.a == s.b else WORSE for s in c.steps])


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")
