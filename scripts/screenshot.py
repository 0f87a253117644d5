"""Drive a live session in the real window and save a screenshot of it.

    xvfb-run -a -s "-screen 0 1280x720x24" .venv/bin/python scripts/screenshot.py \
        docs/screenshot-1280x720.png

The window takes the layout it gets on that screen (View > Reset layout for the screen it
is on), so each picture shows what a user of that screen size sees. `make screenshot`
takes 1280x720 and 1920x1080.

Join, admit, transcription on, promote, practice session on, some socket latency, a drop
and its reconnect: every panel has data when the picture is taken. Without a display it
re-runs itself under xvfb-run (QT_QPA_PLATFORM=offscreen works too, minus window chrome).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _ensure_display() -> None:
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        sys.exit("no DISPLAY and no xvfb-run: apt-get install -y xvfb xauth (see TOOLCHAIN.md)")
    args = [xvfb, "-a", "-s", "-screen 0 1920x1080x24", sys.executable, *sys.argv]
    os.execv(xvfb, args)


async def drive(out: Path) -> None:
    from PySide6.QtCore import QSettings

    from app.core.events import ChannelName, ChannelState
    from app.core.settings import profile
    from app.ui.waiting import Waiter
    from app.ui.window import build_window

    ini = Path(tempfile.mkdtemp(prefix="dcmon-shot-")) / "dcmon.ini"
    qsettings = QSettings(str(ini), QSettings.Format.IniFormat)
    qsettings.setValue("ui/confirm_destructive", "false")  # nobody is there to click Yes
    # demo profile with quicker pings so the plot fills within seconds (labelled as such)
    settings = profile("demo").with_(ping_interval=0.5, profile="demo")
    w = build_window(qsettings, settings, None)
    events: list = []
    w.bridge.event.connect(events.append)
    w.show()
    w.start()
    await asyncio.sleep(0.2)  # the first layout (posted) before the reset below
    w.reset_layout()  # the default layout for this screen
    waiter = Waiter(w.bridge)

    async def wait(pred, timeout: float, what: str):
        try:
            return await waiter.until(pred, timeout, what)
        except TimeoutError:
            print(f"timed out waiting for {what}; banner: {w.banner.label.text()!r}")
            for ev in events[-15:]:
                print(f"  {ev.channel:8} {ev.kind.value:10} {ev.summary}")
            raise

    s = w.session

    base = await s.start_embedded("demo-1", keep_alive_secs=3)  # lobby keep-alive every 1.5 s
    w.meeting.prefill(base, "demo-1", "QA Ann")
    w.host.fallback_meeting = "demo-1"

    def snap():
        return w.bridge.last_snapshot

    def online(ch: ChannelName) -> bool:
        c = snap().channels.get(ch) if snap() else None
        return bool(c and c.state is ChannelState.ONLINE and "transcription" in c.confirmed)

    w.meeting.join_button.click()
    await wait(lambda: snap().badge == "Lobby", 15, "lobby")
    await asyncio.sleep(4.0)  # a few lobby keep-alives, for the HTTP plot
    w.host.buttons["Admit"].click()
    await wait(lambda: online(ChannelName.DEFAULT), 15, "default online")
    w.host.rate.setValue(2.0)
    w.host.buttons["Set rate"].click()
    w.host.buttons["Promote"].click()
    await wait(lambda: "PANELIST" in snap().roles, 15, "panelist")
    w.host.buttons["Practice on"].click()
    await wait(lambda: online(ChannelName.PRACTICE), 15, "practice online")
    # a latency bump on the default socket, so the RTT plot has a shape
    w.host.sock_channel.setCurrentIndex(0)
    w.host.latency.setValue(25)
    w.host.buttons["Set latency"].click()
    await asyncio.sleep(3.0)
    w.host.latency.setValue(0)
    w.host.buttons["Set latency"].click()
    await asyncio.sleep(1.5)
    # a drop by the server with 1001, and the reconnect + resubscribe that follows
    before = snap().channel(ChannelName.DEFAULT).reconnects
    w.channels.cards[ChannelName.DEFAULT].drop_button.click()
    await wait(
        lambda: (
            snap().channel(ChannelName.DEFAULT).state is ChannelState.ONLINE
            and snap().channel(ChannelName.DEFAULT).reconnects > before
        ),
        20,
        "default reconnected",
    )
    w.tokens.refresh("llm-default-session")
    await asyncio.sleep(3.0)
    # a latency bump on the practice socket too
    w.host.sock_channel.setCurrentIndex(1)
    w.host.latency.setValue(15)
    w.host.buttons["Set latency"].click()
    await asyncio.sleep(3.0)
    w.host.buttons["Reset all faults"].click()
    await asyncio.sleep(5.0)  # captions and pings after the reconnect
    w.log.transcripts.setChecked(True)  # the Captions panel shows them; the log the rest
    w.log.table.scrollToBottom()
    await asyncio.sleep(0.3)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not w.grab().save(str(out)):
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out} ({w.width()}x{w.height()})")
    w.close()
    await w.closed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--dark", action="store_true", help="ask Qt for the dark colour scheme")
    args = parser.parse_args()
    _ensure_display()
    from PySide6.QtWidgets import QApplication

    from app.ui.main import run_on_qt_loop
    from app.ui.theme import setup_application

    app = QApplication.instance() or QApplication(sys.argv[:1])
    setup_application(app)
    if args.dark:  # what follow_color_scheme applies when the desktop says "dark"
        from app.ui.theme import dark_palette

        app.setPalette(dark_palette())
    run_on_qt_loop(app, drive(Path(args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
