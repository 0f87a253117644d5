"""`python -m app scenario FILE...`: validate every file, then run them one by one.

Light at import time (argparse only): app/cli.py imports this for --help; the core and the
simulator are imported when a run starts.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio  # imported where used: `python -m app gui` paints before asyncio loads

    from app.scenario.model import Scenario
    from app.scenario.results import ScenarioResult

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130

EPILOG = """\
A scenario file is TOML: setup = { meeting = ..., lobby, webinar, keep_alive_secs,
token_ttl_secs, profile, timeout } as an inline table at the top (after a [setup] header
every later key, steps included, would belong to setup), and steps = [ ... ], one table per
step: join, leave, drop, reconnect, resubscribe, refresh_token, host, fault, clear_faults,
socket, expect, pause, mark.
Example: { expect = "channel.default.state", equals = "online", within = 5 }.
Full reference: docs/SCENARIOS_FORMAT.md.

Every file is validated before anything runs. Each runs against a fresh embedded simulator
unless --server names a running `python -m app sim` (whose /sim/ controls the steps use).
Exit status: 0 all passed, 1 an expectation failed or a step could not be done,
2 a file is invalid (nothing ran), 130 interrupted (Ctrl+C; the reports are still written).
"""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "scenario",
        help="run scenario files (TOML) against an embedded simulator; exit 0 if all passed",
        description="Run scenario files: client actions, host controls, faults and timed "
        "expectations against the real core and the simulator.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="scenario files, or folders of *.toml files"
    )
    p.add_argument("--report", metavar="OUT.json", help="write a JSON report (steps, timeline)")
    p.add_argument("--junit", metavar="OUT.xml", help="write JUnit XML for CI")
    p.add_argument(
        "--server",
        metavar="URL",
        help="a running dcmon simulator (default: a fresh embedded one per file)",
    )
    p.add_argument(
        "--profile",
        choices=["sdk", "demo", "test"],
        help="timing profile for every file (default: each file's setup.profile)",
    )
    p.add_argument("--record", metavar="DIR", help="write a session recording (.jsonl) per file")
    p.add_argument("--check", action="store_true", help="only validate the files; run nothing")
    p.add_argument("--token", help="user bearer token (default: $DCMON_USER_TOKEN or a demo one)")
    add_client_options(p)


def add_client_options(p: argparse.ArgumentParser) -> None:
    """--client / --sdk, shared by `join` and `scenario` (app/clients)."""
    p.add_argument(
        "--client",
        choices=["native", "sdk"],
        default="native",
        help="the client under test: native = dcmon's core (default); sdk = the real Webex "
        "JS SDK run by the Node driver in sdkclient/ (needs Node 20+; installs its "
        "dependencies on first use)",
    )
    p.add_argument(
        "--sdk",
        metavar="DIR",
        help="with --client sdk: use the SDK installed in DIR (e.g. a local webex-js-sdk "
        "build) instead of the pinned webex 3.12.0",
    )


def run(args: argparse.Namespace) -> int:
    from app.scenario.loader import ScenarioError, load_file

    files = expand(args.files)
    scenarios: list[Scenario] = []
    errors: list[str] = []
    for path in files:
        try:
            scenarios.append(load_file(path))
        except ScenarioError as exc:
            errors.append(str(exc))
    if not files:
        errors.append("no scenario files given (folders are searched for *.toml)")
    if errors:
        for error in errors:
            print(f"dcmon scenario: {error}", file=sys.stderr)
        print(f"dcmon scenario: {len(errors)} invalid; nothing was run", file=sys.stderr)
        _write_reports(args, [_invalid(e) for e in errors])
        return EXIT_INVALID
    if args.check:
        print(f"{len(scenarios)} scenario files are valid")
        return EXIT_OK
    import asyncio

    results, not_run = asyncio.run(_run_all(args, scenarios))
    _write_reports(args, results)
    from app.scenario.console import Console

    Console().summary(results, not_run)
    if not_run or any(r.status.value == "interrupted" for r in results):
        return EXIT_INTERRUPTED
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def expand(names: list[str]) -> list[Path]:
    out: list[Path] = []
    for name in names:
        path = Path(name)
        out.extend(sorted(path.glob("*.toml")) if path.is_dir() else [path])
    return out


async def _run_all(
    args: argparse.Namespace, scenarios: list[Scenario]
) -> tuple[list[ScenarioResult], int]:
    import asyncio

    from app.scenario.console import Console
    from app.scenario.runner import DEFAULT_USER_TOKEN, RunHooks, RunOptions, run_scenario

    console = Console()
    options = RunOptions(
        server=args.server,
        user_token=args.token or os.environ.get("DCMON_USER_TOKEN") or DEFAULT_USER_TOKEN,
        profile=args.profile,
        record_dir=Path(args.record) if args.record else None,
        client="sdk" if getattr(args, "sdk", None) else getattr(args, "client", "native"),
        sdk_dir=getattr(args, "sdk", None),
    )
    if options.client == "sdk":
        from app.clients.sdk_setup import SetupError, prepare_cli

        try:
            await prepare_cli(options.sdk_dir)
        except SetupError as exc:
            print(f"dcmon scenario: {exc}", file=sys.stderr)
            return [], len(scenarios)
    hooks = RunHooks(on_start=console.start, on_step=console.step)
    stop = asyncio.Event()
    _on_ctrl_c(stop)
    results: list[ScenarioResult] = []
    try:
        for scenario in scenarios:
            if stop.is_set():
                break
            result = await run_scenario(scenario, options, hooks, stop)
            console.finish(result)
            results.append(result)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGINT)
    return results, len(scenarios) - len(results)


def _on_ctrl_c(stop: asyncio.Event) -> None:
    """First Ctrl+C: stop the step in progress, tear down, report. A second one: the default."""
    import asyncio

    loop = asyncio.get_running_loop()

    def first() -> None:
        print("\ninterrupted: stopping (tearing down; Ctrl+C again to kill)", file=sys.stderr)
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, first)


def _invalid(message: str) -> ScenarioResult:
    from app.scenario.results import ScenarioResult, Status

    file = message.split(":", 1)[0]
    return ScenarioResult(file=file, name=Path(file).stem, status=Status.ERROR, error=message)


def _write_reports(args: argparse.Namespace, results: list[ScenarioResult]) -> None:
    from app.scenario.report import write_json, write_junit

    for flag, write in ((args.report, write_json), (args.junit, write_junit)):
        if flag:
            try:
                write(results, flag)
            except OSError as exc:
                print(f"dcmon scenario: cannot write {flag}: {exc}", file=sys.stderr)
