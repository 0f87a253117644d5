"""The host console's fault form (labelled fields per mode) and its Active faults list.

Active faults come from the simulator, not from what this window asked for: `GET /sim/faults`
(endpoint faults with the calls they have left) and the meeting state (socket latency,
half-open sockets, the transcription rate). Each row that can be undone has its own Clear.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.ui.panels.sim_calls import clear_fault, describe_fault, fault_body

# the simulator's fault endpoints (app/sim/faults.py, kept equal by a test), the common first
ENDPOINTS = (
    "token",
    "register",
    "join",
    "keepalive",
    "device",
    "leave",
    "controls",
    "meetinginfo",
    "loci",
)
MODES = (
    ("error: answer an HTTP error", "error"),
    ("slow: answer after a delay", "slow"),
    ("hang: never answer", "hang"),
    ("body: answer this raw body", "body"),
)
SimCall = Callable[[Any], Awaitable[Any]]


def shrinkable(box: QComboBox, chars: int = 6) -> QComboBox:
    """A combo that may be narrower than its longest item (the shown text elides; the list
    opens at full width): the console fits a laptop's left column without scrolling sideways."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(chars)
    return box


class FaultForm(QWidget):
    """Endpoint, mode, and only the fields that mode uses, each with its label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.endpoint = QComboBox(objectName="faultEndpoint")
        for e in ENDPOINTS:
            self.endpoint.addItem(e, e)
        self.mode = QComboBox(objectName="faultMode")
        for label, mode in MODES:
            self.mode.addItem(label, mode)
        self.delay = QSpinBox(objectName="faultDelay", minimum=0, maximum=120_000, value=3000)
        self.delay.setSuffix(" ms")
        self.status = QSpinBox(objectName="faultStatus", minimum=200, maximum=599, value=500)
        self.retry_after = QSpinBox(objectName="faultRetryAfter", minimum=0, maximum=3600)
        self.retry_after.setSuffix(" s")
        self.retry_after.setSpecialValueText("server default")
        self.retry_after.setToolTip("sent as the Retry-After header (503 / 429 mostly)")
        self.body = QLineEdit(objectName="faultBody", placeholderText='raw text, e.g. {"bad"')
        self.count = QSpinBox(objectName="faultCount", minimum=0, maximum=1000, value=1)
        self.count.setSpecialValueText("every call")
        self.count.setToolTip("how many calls the fault answers; 'every call' until cleared")
        shrinkable(self.endpoint)
        shrinkable(self.mode)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.labels: dict[str, QLabel] = {}
        for key, text, widget in (
            ("endpoint", "Endpoint", self.endpoint),
            ("mode", "Mode", self.mode),
            ("delay", "Delay", self.delay),
            ("status", "HTTP status", self.status),
            ("retry", "Retry-After", self.retry_after),
            ("body", "Body", self.body),
            ("count", "Calls", self.count),
        ):
            label = QLabel(text, objectName=f"faultLabel_{key}")
            label.setBuddy(widget)
            self.labels[key] = label
            self.form.addRow(label, widget)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self._mode_changed()

    def _mode_changed(self) -> None:
        mode = self.mode.currentData()
        shown = {
            "delay": mode == "slow",
            "status": mode in ("error", "body"),
            "retry": mode == "error",
            "body": mode == "body",
        }
        for key, on in shown.items():
            self.form.setRowVisible(self.labels[key], on)
        if mode == "body" and self.status.value() >= 400:
            self.status.setValue(200)
        elif mode == "error" and self.status.value() < 400:
            self.status.setValue(500)

    def fault(self) -> dict[str, Any]:
        """The POST /sim/faults body the form describes."""
        return fault_body(
            self.endpoint.currentData(),
            self.mode.currentData(),
            delay_ms=self.delay.value(),
            status=self.status.value(),
            count=self.count.value() or None,
            retry_after=self.retry_after.value() or None,
            body=self.body.text(),
        )


@dataclass(frozen=True)
class ActiveFault:
    kind: str  # fault / latency / halfopen / transcription
    what: str  # endpoint or channel
    detail: str
    clear: SimCall | None  # None: nothing the console can undo
    clear_text: str = "Clear"
    clear_tip: str = ""


def active_faults(
    faults: list[dict[str, Any]], state: dict[str, Any] | None, meeting: str | None
) -> list[ActiveFault]:
    """Rows for everything the simulator has in force right now."""
    rows = [
        ActiveFault(
            "fault",
            str(f.get("endpoint")),
            describe_fault(f),
            lambda s, e=str(f.get("endpoint")): clear_fault(s, e),
        )
        for f in faults
    ]
    if not state or meeting is None:
        return rows
    for p in state.get("participants") or []:
        if p.get("phase") == "left":
            continue
        pid = p.get("participantId")
        for ch, info in (p.get("channels") or {}).items():
            live = info.get("sockets") or []
            ms = max((int(k.get("latencyMs") or 0) for k in live), default=0)
            if ms:
                rows.append(
                    ActiveFault(
                        "latency",
                        ch,
                        f"{ch} socket +{ms} ms ({p.get('displayName')})",
                        lambda s, c=ch, q=pid: s.socket(
                            meeting, c, "latency", participant_id=q, ms=0
                        ),
                    )
                )
            if any(k.get("state") == "halfopen" for k in live):
                # a half-open socket cannot be made to answer again (the server dropped
                # what it was sent); ending it is what a recovering network would do
                rows.append(
                    ActiveFault(
                        "halfopen",
                        ch,
                        f"{ch} socket half-open ({p.get('displayName')}): ends when the "
                        "client's pong timeout closes it",
                        lambda s, c=ch, q=pid: s.socket(meeting, c, "reset", participant_id=q),
                        clear_text="End (1006)",
                        clear_tip="end it now: the server drops the TCP connection (1006), "
                        "without waiting for the client to notice",
                    )
                )
    rate = float(state.get("transcriptionPerSecond") or 0.0)
    if rate:
        rows.append(
            ActiveFault(
                "transcription",
                "captions",
                f"transcription {rate:g}/s",
                lambda s: s.transcription(meeting, 0.0),
            )
        )
    return rows


class ActiveFaultsList(QTreeWidget):
    """A fixed-height list (it scrolls, it never pushes the console's buttons)."""

    def __init__(self, on_clear: Callable[[ActiveFault], None], parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("activeFaults")
        self.setHeaderLabels(["active", "", ""])
        self.setRootIsDecorated(False)
        self.setColumnCount(3)
        self.setColumnWidth(0, 90)
        self.setFixedHeight(110)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(1, self.header().ResizeMode.Stretch)
        self.header().setSectionResizeMode(2, self.header().ResizeMode.ResizeToContents)
        self._on_clear = on_clear
        self.rows: list[ActiveFault] = []
        self.clear_buttons: dict[str, QPushButton] = {}  # by "kind:what"
        self.show_rows([])

    def show_rows(self, rows: list[ActiveFault]) -> None:
        if _keys(rows) == _keys(self.rows) and self.topLevelItemCount():
            return  # unchanged: no flicker, and a Clear under the cursor stays put
        self.rows = list(rows)
        self.clear()
        self.clear_buttons = {}
        if not rows:
            item = QTreeWidgetItem(["none", "no fault, latency or caption rate in force", ""])
            self.addTopLevelItem(item)
            return
        for row in rows:
            item = QTreeWidgetItem([row.kind, row.detail, ""])
            item.setToolTip(1, row.detail)
            self.addTopLevelItem(item)
            if row.clear is None:
                continue
            key = f"{row.kind}:{row.what}"
            button = QPushButton(row.clear_text, objectName=f"clear_{row.kind}_{row.what}")
            button.setToolTip(row.clear_tip or f"clear {row.detail}")
            button.clicked.connect(lambda _=False, r=row: self._on_clear(r))
            box = QWidget()
            lay = QHBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(button)
            self.setItemWidget(item, 2, box)
            self.clear_buttons[key] = button


def _keys(rows: list[ActiveFault]) -> list[tuple[str, str, str]]:
    return [(r.kind, r.what, r.detail) for r in rows]
