"""Entry points: gui (default), sim, join, demo. `python -m app --help` lists them."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import asyncio

    from app.core.events import CoreEvent, MeetingSnapshot

from app.analysis import cli as analysis_cli
from app.scenario import cli as scenario_cli

DEFAULT_USER_TOKEN = "dcmon-demo-user"  # any non-empty token works against the simulator


def user_token(arg: str | None) -> str:
    return arg or os.environ.get("DCMON_USER_TOKEN") or DEFAULT_USER_TOKEN


class _VersionAction(argparse.Action):
    """--version, with the version looked up only when asked (see app/__init__.py)."""

    def __init__(self, option_strings: list[str], dest: str, **_kw: object) -> None:
        super().__init__(
            option_strings,
            dest=argparse.SUPPRESS,
            default=argparse.SUPPRESS,
            nargs=0,
            help="show program's version number and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        from app import __version__

        print(f"dcmon {__version__}")  # stdout, as argparse's own version action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dcmon",
        description="Monitor for meeting data channels (device socket, default and "
        "practice-session data channels), with a built-in backend simulator.",
        epilog="With no command, opens the window on the embedded simulator. "
        "The user token comes from --token or $DCMON_USER_TOKEN; it is never printed.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging to stderr")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="headless self-test of this installation (embedded simulator, demo tour, "
        "window built offscreen); exit 0 only if it passed",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the monitor window (the default)")
    _join_options(gui, server_required=False)

    sim = sub.add_parser("sim", help="run the backend simulator standalone")
    sim.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)"
    )
    sim.add_argument("--port", type=int, default=8400, help="port (default 8400; 0 = any free)")
    sim.add_argument(
        "--no-demo-meeting", action="store_true", help="do not create meeting demo-1 at start"
    )

    join = sub.add_parser("join", help="join a meeting headless and print its timeline")
    _join_options(join, server_required=True)
    join.add_argument("--json", action="store_true", help="one JSON object per line")
    join.add_argument("--duration", type=float, help="leave after S seconds (default: Ctrl+C)")
    join.add_argument(
        "--record", metavar="FILE", help="also save the session (JSONL) for File > Open session"
    )
    scenario_cli.add_client_options(join)

    demo = sub.add_parser(
        "demo", help="headless tour on an embedded simulator; exit 0 only if every step passed"
    )
    demo.add_argument("--profile", default="demo", choices=["sdk", "demo", "test"])
    scenario_cli.add_parser(sub)
    analysis_cli.add_parsers(sub)  # incidents, compare (issue 13)
    return parser


def _join_options(p: argparse.ArgumentParser, server_required: bool) -> None:
    p.add_argument(
        "--server",
        required=server_required,
        help="backend base URL, e.g. http://127.0.0.1:8400"
        + ("" if server_required else " (default: embedded simulator)"),
    )
    if server_required:  # headless join: plain defaults
        p.add_argument("--meeting", default="demo-1", help="meeting id (default demo-1)")
        p.add_argument("--name", default="dcmon guest", help="display name")
    else:  # the window remembers the last join form; only an explicit value overrides it
        p.add_argument("--meeting", help="meeting id (default: last used, else demo-1)")
        p.add_argument("--name", help="display name (default: last used)")
    p.add_argument(
        "--profile",
        default="demo",
        choices=["sdk", "demo", "test"],
        help="timing profile: sdk = the SDK's defaults; demo = faster pings (labelled)",
    )
    p.add_argument("--token", help="user bearer token (default: $DCMON_USER_TOKEN or a demo one)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    if args.command is None and not args.smoke:  # bare `dcmon [-v]`: the window, its defaults
        args = parser.parse_args([*argv, "gui"])
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if args.smoke:
        from app.smoke import run_smoke

        return run_smoke()
    command = args.command
    try:
        if command == "sim":
            return _run_async(_sim(args))
        if command == "join":
            return _run_async(_join(args))
        if command == "demo":
            return _run_async(_demo(args))
        if command == "scenario":
            return scenario_cli.run(args)
        if command == "incidents":
            return analysis_cli.run_incidents(args)
        if command == "compare":
            return analysis_cli.run_compare(args)
        return _gui(args)
    except KeyboardInterrupt:
        return 130


def _run_async(coro: object) -> int:
    import asyncio  # not at the top: `gui` paints its first frame before asyncio is loaded

    return asyncio.run(coro)  # type: ignore[arg-type]


def _stop_on_signals(stop: asyncio.Event) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def _sim(args: argparse.Namespace) -> int:
    from app.sim import run_standalone

    try:
        await run_standalone(args.host, args.port, demo_meeting=not args.no_demo_meeting)
    except ValueError as exc:  # e.g. a host that is not loopback
        print(f"dcmon sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"dcmon sim: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    return 0


async def _join(args: argparse.Namespace) -> int:
    import asyncio

    from app.clients.factory import make_client
    from app.clients.sdk_setup import SetupError, prepare_cli
    from app.core.meeting import JoinError
    from app.core.settings import profile
    from app.scenario.recording import record_client

    kind = "sdk" if args.sdk else args.client
    try:
        if kind == "sdk":
            await prepare_cli(args.sdk)
        client = make_client(
            kind, args.server, user_token(args.token), profile(args.profile), args.name, args.sdk
        )
        recorder = record_client(client, args.record, args.meeting) if args.record else None
    except (ValueError, SetupError) as exc:
        print(f"dcmon join: {exc}", file=sys.stderr)
        return 2
    printer = TimelinePrinter(json_lines=args.json)
    client.hub.on_event(printer.event)
    from app.analysis.live import IncidentPrinter

    incidents = IncidentPrinter(json_lines=args.json)  # one line per incident as it settles
    client.hub.on_event(incidents.event)
    client.hub.on_snapshot(printer.snapshot)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    status = 0
    try:
        await client.join(args.meeting)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.duration):
                await stop.wait()
    except JoinError as exc:
        print(f"dcmon join: {exc}", file=sys.stderr)
        status = 1
    finally:
        await client.close()
        incidents.finish()
        if recorder is not None:
            recorder.close()
    return status


class TimelinePrinter:
    """Prints events, and snapshot changes that matter (not frame counters), as they happen."""

    def __init__(self, json_lines: bool, stream: TextIO | None = None) -> None:
        self.json_lines = json_lines
        self.stream = stream or sys.stdout
        self._last_digest: object = None
        self._t0 = time.monotonic()

    def event(self, event: CoreEvent) -> None:
        if self.json_lines:
            self._write(json.dumps({"type": "event", **event.to_json()}))
        elif not event.heartbeat:
            m, s = divmod(event.t, 60)
            self._write(f"{int(m):02d}:{s:04.1f} {event.channel:<8} {event.summary}")

    def snapshot(self, snap: MeetingSnapshot) -> None:
        digest = (
            snap.badge,
            snap.roles,
            tuple(
                (n.value, c.state.value, c.confirmed, c.reconnects)
                for n, c in snap.channels.items()
            ),
            tuple((k, t.masked, t.source) for k, t in snap.tokens.items()),
        )
        if digest == self._last_digest:
            return
        self._last_digest = digest
        if self.json_lines:
            self._write(json.dumps({"type": "snapshot", "wall": time.time(), **snap.to_json()}))

    def _write(self, line: str) -> None:
        with contextlib.suppress(BrokenPipeError):
            print(line, file=self.stream, flush=True)


async def _demo(args: argparse.Namespace) -> int:
    from app.core.settings import profile
    from app.tour import StepResult, run_tour

    print(f"dcmon demo tour (profile {args.profile}) on an embedded simulator", flush=True)

    def report(r: StepResult) -> None:
        mark = "ok  " if r.ok else "FAIL"
        print(
            f"  {mark} {r.name:<52} {r.ms:8.0f} ms"
            + (f"\n       {r.message}" if r.message else ""),
            flush=True,
        )

    results = await run_tour(profile(args.profile), report)
    expected = 6
    passed = sum(r.ok for r in results)
    if passed == expected:
        print(f"all {expected} steps passed in {sum(r.ms for r in results) / 1000:.1f} s")
        return 0
    failed = next((r for r in results if not r.ok), None)
    print(f"FAILED at step: {failed.name if failed else '?'} ({passed}/{expected} passed)")
    return 1


def _gui(args: argparse.Namespace) -> int:
    try:
        from app.ui.main import display_available, run_gui
    except ImportError as exc:
        print(
            f"dcmon: the window cannot start ({exc}); try the headless `python -m app demo`",
            file=sys.stderr,
        )
        return 1
    problem = display_available()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return run_gui(
        server=args.server,
        meeting=args.meeting,
        name=args.name,
        profile_name=args.profile,
        user_token=user_token(args.token),
    )
