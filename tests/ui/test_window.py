"""Window-level behaviour: remembered layout and form, other backends, display check."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.core.settings import profile
from app.sim import SimulatorThread
from app.ui import main as ui_main
from app.ui.waiting import Waiter
from app.ui.window import MainWindow, build_window


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _close(w: MainWindow) -> None:
    w.close()
    await asyncio.wait_for(w.closed, 10)


async def test_layout_and_join_form_are_remembered(qsettings: QSettings) -> None:
    dead = f"http://127.0.0.1:{_dead_port()}"
    w = build_window(qsettings, profile("test"), None)
    w.show()
    await Waiter(w.bridge).until(lambda: w._default_state is not None, 5, "first layout")
    w.docks["Captions"].hide()
    w.meeting.server.setText(dead)
    w.meeting.meeting.setText("room-42")
    w.meeting.name.setText("Ann")
    w.actions_by_name["confirm"].setChecked(False)
    w.meeting.join_button.click()  # fails (nobody listens), but the values are kept
    await Waiter(w.bridge).until(lambda: w.banner.isVisible(), 10, "join error")
    assert "Join failed" in w.banner.label.text() and dead in w.banner.label.text()
    await _close(w)

    again = build_window(qsettings, profile("test"), None)
    again.show()
    await Waiter(again.bridge).until(lambda: again._default_state is not None, 5, "layout")
    try:
        assert again.docks["Captions"].isHidden()
        assert not again.docks["Latency"].isHidden()
        assert (again.meeting.server.text(), again.meeting.meeting.text()) == (dead, "room-42")
        assert again.meeting.name.text() == "Ann"
        assert not again.confirm.enabled and not again.actions_by_name["confirm"].isChecked()
        again.reset_layout()
        assert not again.docks["Captions"].isHidden()
    finally:
        await _close(again)


async def test_outside_backend_hides_host_console_unless_it_is_a_simulator(
    qsettings: QSettings,
) -> None:
    w = build_window(qsettings, profile("test"), None)
    w.show()
    seen: list[bool] = []
    w.session.host_available.connect(seen.append)
    try:
        await w.session.use_server(f"http://127.0.0.1:{_dead_port()}")
        assert seen == [False] and w.docks["Host console"].isHidden()
        assert not w.actions_by_name["host_menu"].isEnabled()
        assert "backend: http://127.0.0.1" in w.status.backend.text()

        sim = SimulatorThread()
        base = await asyncio.get_running_loop().run_in_executor(None, sim.start)
        try:
            await w.session.use_server(base)  # e.g. `python -m app sim` shared by a team
            assert seen == [False, True] and not w.docks["Host console"].isHidden()
            assert w.channels.cards["default"].drop_button.menu() is not None
        finally:
            await w.session.sim.aclose()
            w.session.sim = None
            await asyncio.get_running_loop().run_in_executor(None, sim.stop)
    finally:
        await _close(w)


def test_no_display_is_one_clear_line_pointing_to_the_headless_demo() -> None:
    msg = ui_main.display_available({}, probe=False) if sys.platform.startswith("linux") else ""
    assert msg and "\n" not in msg
    assert "no display" in msg and "python -m app demo" in msg
    assert ui_main.display_available({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_missing_xcb_libraries_name_the_apt_line(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = (
        "qt.qpa.plugin: From 6.5.0, xcb-cursor0 or libxcb-cursor0 is needed to load the Qt "
        'xcb platform plugin.\nqt.qpa.plugin: Could not load the Qt platform plugin "xcb" '
        'in "" even though it was found.\nThis application failed to start...\n'
    )
    monkeypatch.setattr(
        subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, -6, "", stderr)
    )
    msg = ui_main.display_available({"DISPLAY": ":0"})
    assert msg is not None and "\n" not in msg
    assert "apt-get install -y libxkbcommon-x11-0 libxcb-cursor0" in msg
    assert "python -m app demo" in msg


def test_probe_reports_an_unreachable_x_server() -> None:
    """A real child process: Qt's xcb plugin loads, but nothing listens on display :987."""
    msg = ui_main.display_available({"DISPLAY": ":987", "PATH": "/usr/bin:/bin"})
    assert msg is not None and "\n" not in msg
    assert "cannot connect to the display ':987'" in msg or "Qt cannot" in msg


def test_run_gui_without_display_exits_with_the_line(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert ui_main.run_gui(None, None, None, "demo", None) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "python -m app demo" in err and "Traceback" not in err


async def test_shortcuts_are_unique_and_reach_the_panels(qsettings: QSettings) -> None:
    w = build_window(qsettings, profile("test"), None)
    try:
        keys = [
            a.shortcut().toString() for a in w.actions_by_name.values() if hasattr(a, "shortcut")
        ]
        keys = [k for k in keys if k]
        assert len(keys) == len(set(keys)) >= 15
        assert w.actions_by_name["join"].shortcut().toString() == "Ctrl+J"
        w.actions_by_name["pause"].trigger()
        assert w.log.model.paused and w.log.pause_button.text() == "Resume"
        w.actions_by_name["heartbeats"].trigger()
        assert not w.log.proxy.hide_heartbeats
        # a command with nothing to act on is off, and says why (issue 12, item 12)
        act = w.actions_by_name["reconnect_default"]
        assert not act.isEnabled() and "not in a meeting" in act.toolTip()
        act.trigger()
        assert not w.banner.isVisible()
    finally:
        await _close(w)


async def test_entry_point_opens_the_demo_and_sigterm_closes_it(qsettings: QSettings) -> None:
    """run_gui's coroutine: embedded simulator, demo meeting prefilled; SIGTERM = clean close."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(
        ui_main._main(None, "demo-9", "Tester", profile("test"), None, qsettings=qsettings)
    )
    try:
        deadline = loop.time() + 15
        w = None
        while w is None or not w.meeting.server.text():  # bounded poll: no bridge to wait on yet
            assert loop.time() < deadline and not task.done(), "window never became ready"
            await asyncio.sleep(0.02)
            w = next(
                (
                    x
                    for x in QApplication.topLevelWidgets()
                    if isinstance(x, MainWindow) and x.isVisible()
                ),
                None,
            )
        assert w.meeting.meeting.text() == "demo-9" and w.meeting.name.text() == "Tester"
        assert w.meeting.server.text().startswith("http://127.0.0.1:")
        await Waiter(w.bridge).until(lambda: not w.docks["Host console"].isHidden(), 5, "host")
        thread = w.session._sim_thread
        handle = loop._signal_handlers.get(signal.SIGTERM)  # type: ignore[attr-defined]
        assert handle is not None, "no SIGTERM handler on the loop"
        handle._run()  # exactly what the loop does when the signal arrives
        assert await asyncio.wait_for(task, 15) == 0
        assert not w.isVisible() and not thread._thread.is_alive()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        if not task.done():
            task.cancel()
