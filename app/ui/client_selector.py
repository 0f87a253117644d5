"""Which client the window drives: dcmon's core, the pinned webex SDK, or an SDK folder.

A visible selector in a toolbar (the client, and the SDK version or folder), the client
factory the session calls on Join, and a gate that keeps the commands the chosen client
cannot do disabled, with the reason as tooltip. Choosing another client takes effect at the
next Join (the current meeting is not torn down under the user).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QToolBar,
    QWidget,
)

from app.clients.interface import Capabilities, Command
from app.clients.native import NATIVE_CAPABILITIES, NativeClient
from app.clients.sdk_translate import SDK_CAPABILITIES
from app.core.events import MeetingSnapshot
from app.ui.modes import set_enabled

log = logging.getLogger("app.ui")

KEY_KIND, KEY_DIR = "client/kind", "client/sdk_dir"
NATIVE, SDK_PINNED, SDK_FOLDER = 0, 1, 2


@dataclass(frozen=True)
class ClientChoice:
    kind: str = "native"  # native | sdk
    sdk_dir: str | None = None  # sdk: None = the pinned webex in sdkclient/

    @property
    def capabilities(self) -> Capabilities:
        return SDK_CAPABILITIES if self.kind == "sdk" else NATIVE_CAPABILITIES


def pinned_sdk_version() -> str:
    """The webex version `sdkclient/` has installed, or why there is none yet."""
    from app.clients.sdk_setup import SetupError, driver_home, sdk_version_in

    try:
        home = driver_home()
    except SetupError as exc:
        return f"unavailable: {exc}"
    if not home.installed:
        return "not installed yet (installs on the first Join)"
    return sdk_version_in(home.folder) or "?"


class ClientSelector(QWidget):
    changed = Signal(object)  # ClientChoice
    progress = Signal(float, str)  # SDK set-up on first use

    def __init__(self, qsettings: QSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("clientSelector")
        self._qsettings = qsettings
        self.session: Any = None  # set by install(): the factory needs its simulator control
        self.combo = QComboBox(objectName="clientCombo")
        self.combo.addItem("dcmon core (native)")
        self.combo.addItem("webex SDK (pinned)")
        self.combo.addItem("webex SDK from folder…")
        self.combo.setToolTip(
            "The client under test. The SDK runs the real Webex JS SDK in a Node process; "
            "the change takes effect at the next Join."
        )
        self.detail = QLabel("", objectName="clientDetail")
        self.bar = QProgressBar(objectName="clientSetup")
        self.bar.setRange(0, 100)
        self.bar.setMaximumWidth(160)
        self.bar.hide()
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.addWidget(QLabel("Client:"))
        lay.addWidget(self.combo)
        lay.addWidget(self.detail)
        lay.addWidget(self.bar)
        self._dialog: QFileDialog | None = None
        self.choice = self._restored()
        self._show(self.choice)
        self.combo.currentIndexChanged.connect(self._picked)
        self.progress.connect(self._on_progress)

    # -- choosing ---------------------------------------------------------------------------
    def _restored(self) -> ClientChoice:
        if self._qsettings is None:
            return ClientChoice()
        kind = str(self._qsettings.value(KEY_KIND, "native"))
        folder = self._qsettings.value(KEY_DIR, None)
        if kind != "sdk":
            return ClientChoice()
        if folder and Path(str(folder)).is_dir():
            return ClientChoice("sdk", str(folder))
        return ClientChoice("sdk")

    def choose(self, choice: ClientChoice) -> None:
        """Programmatic choice (tests, the command line)."""
        self.choice = choice
        self._show(choice)
        if self._qsettings is not None:
            self._qsettings.setValue(KEY_KIND, choice.kind)
            self._qsettings.setValue(KEY_DIR, choice.sdk_dir or "")
        if self.session is not None and self.session.client is not None:
            # the next Join makes a client of the new kind (Session reuses one otherwise)
            self.session.client_server = None
            self.session.notice.emit(f"client: {self.label()} (from the next Join)")
        self.changed.emit(choice)

    def _picked(self, index: int) -> None:
        if index == NATIVE:
            self.choose(ClientChoice())
        elif index == SDK_PINNED:
            self.choose(ClientChoice("sdk"))
        else:
            dlg = QFileDialog(self, "SDK folder (a node_modules, or a webex-js-sdk build)")
            dlg.setFileMode(QFileDialog.FileMode.Directory)
            dlg.fileSelected.connect(self._folder_chosen)
            dlg.rejected.connect(lambda: self._show(self.choice))
            self._dialog = dlg
            dlg.open()  # never exec() under qasync

    def _folder_chosen(self, folder: str) -> None:
        from app.clients.sdk_setup import SetupError, check_sdk_dir

        try:
            check_sdk_dir(folder)
        except SetupError as exc:
            self._show(self.choice)
            if self.session is not None:
                self.session.report(str(exc))
            return
        self.choose(ClientChoice("sdk", folder))

    def _show(self, choice: ClientChoice) -> None:
        index = NATIVE if choice.kind == "native" else SDK_FOLDER if choice.sdk_dir else SDK_PINNED
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        self.detail.setText(self.label(choice))
        self.detail.setToolTip(choice.sdk_dir or "")

    def label(self, choice: ClientChoice | None = None) -> str:
        from app import __version__

        choice = choice or self.choice
        if choice.kind == "native":
            return f"dcmon core {__version__}"
        if choice.sdk_dir:
            from app.clients.sdk_setup import sdk_version_in

            version = sdk_version_in(Path(choice.sdk_dir)) or "?"
            return f"webex {version} from {Path(choice.sdk_dir).name}"
        return f"webex {pinned_sdk_version()}"

    def _on_progress(self, fraction: float, message: str) -> None:
        self.bar.setVisible(fraction < 1.0)
        self.bar.setValue(int(fraction * 100))
        self.bar.setFormat("SDK set-up %p%")
        self.bar.setToolTip(message)
        if fraction >= 1.0:
            self._show(self.choice)

    # -- the session's factory --------------------------------------------------------------
    def factory(self, **kw: Any) -> Any:
        """Session calls it as (server=, user_token=, settings=, display_name=)."""
        if self.choice.kind == "native":
            return NativeClient.create(**kw)
        from app.clients.sdk_adapter import SdkClient

        sim = getattr(self.session, "sim", None)
        client = SdkClient(
            kw["server"],
            kw["user_token"],
            kw.get("display_name") or "dcmon",
            self.choice.sdk_dir,
            sim=sim,
            settings=kw.get("settings"),
            progress=self.progress.emit,
        )
        return client


class CapabilityGate(QObject):
    """After every panel update, turns off what the client on screen cannot do (the panels
    enable their buttons by meeting state alone; this runs after them, on the same signal)."""

    def __init__(self, window: QMainWindow, selector: ClientSelector) -> None:
        super().__init__(window)
        self.window_ = window
        self.selector = selector
        window.bridge.shown_snapshot.connect(self.apply)  # type: ignore[attr-defined]
        selector.changed.connect(lambda _c: self.apply(None))

    def capabilities(self) -> Capabilities:
        session = getattr(self.window_, "session", None)
        client = getattr(session, "client", None)
        caps = getattr(client, "capabilities", None)
        return caps if isinstance(caps, Capabilities) else self.selector.choice.capabilities

    def apply(self, _snap: MeetingSnapshot | None) -> None:
        caps = self.capabilities()
        channels = getattr(self.window_, "channels", None)
        for card in getattr(channels, "cards", {}).values():
            why = caps.why_not(Command.RESUBSCRIBE)
            button = getattr(card, "resub_button", None)
            if why and button is not None:
                set_enabled(button, False, why)
            via = caps.via_simulator.get(Command.DROP)
            for name in ("drop_button", "reset_button", "halfopen_button"):
                b = getattr(card, name, None)
                if b is not None and via and via not in b.toolTip():
                    b.setToolTip(f"{b.toolTip()}\nSDK client: {via}".strip())
        tokens = getattr(self.window_, "tokens", None)
        why = caps.why_not(Command.REFRESH_TOKEN)
        for row in getattr(tokens, "rows", {}).values():
            button = getattr(row, "refresh", None)
            if why and button is not None:
                set_enabled(button, False, why)


def install(window: QMainWindow, selector: ClientSelector) -> CapabilityGate:
    """Put the selector in its own toolbar and gate the commands; `window.session` must be
    the session whose factory is `selector.factory`."""
    selector.session = getattr(window, "session", None)
    menus = window.menuBar()
    if menus.isNativeMenuBar():  # macOS: a native menu bar shows no corner widget
        bar = QToolBar("Client", objectName="clientBar", movable=False, floatable=False)
        bar.addWidget(selector)
        window.addToolBar(bar)
    else:
        # in the menu bar's free right end: a whole toolbar row is 28 px a laptop lacks
        menus.setCornerWidget(selector, Qt.Corner.TopRightCorner)
    window.client_selector = selector  # type: ignore[attr-defined]
    return CapabilityGate(window, selector)
