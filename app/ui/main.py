"""Entry point of the window: display check, QApplication, the window shell painted, then
the qasync loop, the real window and the embedded simulator.

Start-up order matters (bench/startup.py): everything imported before the shell's first
paint is paid for before the user sees anything, so asyncio, qasync, the core, the simulator
and the panels are imported only after it (see app/ui/shell.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from app.core.settings import Settings, profile

if TYPE_CHECKING:
    from app.ui.shell import Shell

log = logging.getLogger("app.ui")
T = TypeVar("T")

XCB_PACKAGES = (
    "libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 "
    "libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1"
)
HEADLESS_HINT = "or run the headless `python -m app demo` instead"
SCREEN_HINT = "run it in a desktop session or under `xvfb-run -a`"
HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")
_PROBE = (
    "import sys\n"
    "from PySide6.QtGui import QGuiApplication\n"
    "app = QGuiApplication(sys.argv[:1])\n"
    "print('ok', app.platformName())\n"
)


_checked: dict[tuple[str, ...], str | None] = {}  # the probe costs a Qt start: once per env


def display_available(env: Mapping[str, str] | None = None, probe: bool = True) -> str | None:
    """None when a Qt window can be opened here, else ONE line that says why and what to do."""
    if env is None:
        key = tuple(
            os.environ.get(k, "") for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
        )
        if key not in _checked:
            _checked[key] = _display_available(os.environ, probe)
        return _checked[key]
    return _display_available(env, probe)


def _display_available(env: Mapping[str, str], probe: bool) -> str | None:
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform in HEADLESS_PLATFORMS or sys.platform in ("win32", "darwin"):
        return None
    x11, wayland = env.get("DISPLAY"), env.get("WAYLAND_DISPLAY")
    if not x11 and not wayland:
        return (
            "dcmon: no display (DISPLAY and WAYLAND_DISPLAY are unset): "
            f"{SCREEN_HINT}, {HEADLESS_HINT}."
        )
    if not probe or getattr(sys, "frozen", False):  # a frozen build cannot run `-c` probes
        return None
    use_xcb = bool(x11) and platform in ("", "xcb") and not wayland
    return _probe(dict(env), use_xcb)


def _probe(env: dict[str, str], use_xcb: bool) -> str | None:
    """Create a QGuiApplication in a child process: a missing plugin aborts the child, not us."""
    import subprocess

    if use_xcb:
        env["QT_QPA_PLATFORM"] = "xcb"
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"dcmon: could not check the display ({exc}): {SCREEN_HINT}, {HEADLESS_HINT}."
    if done.returncode == 0 and "ok" in done.stdout:
        return None
    err = done.stderr
    where = env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")
    if "could not connect to display" in err or "cannot open display" in err.lower():
        return (
            f"dcmon: cannot connect to the display {where!r} (is the X server running?): "
            f"{SCREEN_HINT}, {HEADLESS_HINT}."
        )
    if "platform plugin" in err or "xcb" in err:
        return (
            f"dcmon: Qt cannot open a window on {where!r} because X11 (xcb) libraries are "
            f"missing: install them with `sudo apt-get install -y {XCB_PACKAGES}`, "
            f"{HEADLESS_HINT}."
        )
    last = next((ln for ln in reversed(err.strip().splitlines()) if ln.strip()), "no output")
    return f"dcmon: Qt cannot start ({last.strip()}): {HEADLESS_HINT}."


def freeze_startup_objects() -> None:
    """Perf (issue 14): move every object alive now into the collector's permanent
    generation. What start-up leaves (modules, functions, Qt wrappers, pyqtgraph, numpy:
    ~150k objects) never becomes garbage, yet each full collection scanned it all: 100 ms
    stalls, dropped frames at 2000 captions/s. Frozen, a full collection scans only what
    came after. No gc.collect() first: that would itself stall the new window ~50 ms."""
    import gc

    gc.freeze()


def profile_label(settings: Settings) -> str:
    if settings.profile == "demo":
        return f"profile: demo (fast pings every {settings.ping_interval:g} s, not the SDK's)"
    if settings.profile == "sdk":
        return "profile: SDK defaults"
    return f"profile: {settings.profile}"


def run_gui(
    server: str | None,
    meeting: str | None,
    name: str | None,
    profile_name: str,
    user_token: str | None,
) -> int:
    """Open the window; returns the process exit code."""
    problem = display_available()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        settings = profile(profile_name)
    except ValueError as exc:
        print(f"dcmon: {exc}", file=sys.stderr)
        return 2

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.ui.shell import show_shell
    from app.ui.theme import setup_application

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    setup_application(app)
    qsettings = QSettings()  # after setup_application: it names the organisation and app
    shell = show_shell(qsettings)  # on screen now; everything below comes after this paint
    coro = _main(server, meeting, name, settings, user_token, qsettings=qsettings, shell=shell)
    try:
        return int(run_on_qt_loop(app, coro) or 0)
    except KeyboardInterrupt:
        return 130


def run_on_qt_loop(app: Any, coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.Runner with a qasync loop factory (works on 3.11, unlike asyncio.run's).

    Not qasync.run: on 3.11 it swaps the *global* event-loop policy, so the embedded
    simulator's thread (plain asyncio.run) would get a Qt loop in a non-GUI thread.
    """
    import asyncio

    from app.ui.qtloop import PreciseQEventLoop

    with asyncio.Runner(loop_factory=lambda: PreciseQEventLoop(app)) as runner:
        return runner.run(coro)


async def _main(
    server: str | None,
    meeting: str | None,
    name: str | None,
    settings: Settings,
    user_token: str | None,
    qsettings: Any = None,
    shell: Shell | None = None,
) -> int:
    """The window's life. With a `shell` (run_gui: on screen already), the real window takes
    its place once built; without one (tests), the real window is simply shown."""
    import asyncio

    from PySide6.QtCore import QSettings

    from app.ui.errors import readable
    from app.ui.session import DEMO_MEETING
    from app.ui.window import build_window

    if shell is not None and shell.closed_early:  # closed while it said "starting…"
        return 0
    window = build_window(qsettings or QSettings(), settings, user_token)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # uvicorn's own handlers are off in the embedded simulator; ours close the window
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, window.close)
    if shell is None:
        window.show()
    else:
        shell.hand_over(window)
    window.start()
    from app.ui.firstpaint import first_paint

    await first_paint(window)  # on screen first; the simulator and the core start after
    if shell is not None:
        shell.retire()  # only now: there is never a moment with no window
    freeze_startup_objects()
    session = window.session
    if server is None:
        window.status.showMessage("starting the embedded simulator…")
        # the last meeting used (as `gui --help` says), unless --meeting names one
        meeting = meeting or window.meeting.remembered_meeting or None

        async def embedded() -> None:
            base_url = await session.start_embedded(meeting or DEMO_MEETING)
            window.meeting.prefill(base_url, meeting or DEMO_MEETING, name)
            window.host.fallback_meeting = meeting or DEMO_MEETING
            window.status.showMessage(f"simulator ready on {base_url}: click Join", 10000)
            freeze_startup_objects()  # and what the simulator's start-up added

        session.spawn("Starting the simulator", embedded())
    else:
        window.meeting.prefill(server, meeting, name)
        session.spawn("Connecting", session.use_server(server))
    previous_hook = sys.excepthook

    def on_uncaught(kind: type[BaseException], exc: BaseException, tb: Any) -> None:
        """A bug in a slot: a line in the window and the log, never a dialog or a crash."""
        log.error("unexpected error in the window", exc_info=(kind, exc, tb))
        with contextlib.suppress(RuntimeError):
            session.report(readable("Internal error", exc))

    sys.excepthook = on_uncaught
    try:
        await window.closed
    finally:
        sys.excepthook = previous_hook
    return 0
