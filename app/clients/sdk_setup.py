"""Finding Node, npm and the SDK driver, and installing the driver's dependencies.

From a checkout the driver runs where it is (`sdkclient/`, its `node_modules` installed by
`npm ci` there). The installed app carries `sdkclient/` without `node_modules`: on first use
it is copied into the user's data folder and `npm ci` runs there, with progress; or the user
points `--sdk DIR` at an SDK folder (a local webex-js-sdk build) and the driver uses it.
Nothing here contacts a network itself; `npm ci` talks only to the npm registry.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DRIVER_ENTRY = "driver.js"
NODE_INSTALL = (
    "Node.js 20 or newer is needed for the SDK client: "
    "sudo apt-get install -y nodejs npm   (or: https://nodejs.org, then re-run)"
)
NPM_INSTALL = "npm is needed to install the SDK driver's dependencies: sudo apt-get install -y npm"


class SetupError(RuntimeError):
    """The SDK client cannot run; the message names the exact fix."""


@dataclass(frozen=True)
class DriverHome:
    folder: Path  # holds driver.js, package.json, package-lock.json, node_modules
    source: Path  # where the driver's files came from (the checkout or the bundle)
    installed: bool  # node_modules present

    @property
    def entry(self) -> Path:
        return self.folder / DRIVER_ENTRY


def bundled_driver() -> Path | None:
    """`sdkclient/` of this checkout, or of the PyInstaller bundle."""
    roots = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        roots.append(Path(frozen))
    roots.append(Path(__file__).resolve().parents[2])  # the checkout: app/clients/ -> repo
    for root in roots:
        folder = root / "sdkclient"
        if (folder / "package.json").is_file():
            return folder
    return None


def data_folder() -> Path:
    """The user's data folder (XDG on Linux, the usual places elsewhere)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "dcmon"


def find_node() -> str:
    node = shutil.which("node")
    if node is None:
        raise SetupError(NODE_INSTALL)
    return node


def find_npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError(NPM_INSTALL)
    return npm


def _is_checkout(folder: Path) -> bool:
    """A writable source checkout (installs in place) rather than an installed bundle."""
    return (folder.parent / "pyproject.toml").is_file() and os.access(folder, os.W_OK)


def _lock_digest(folder: Path) -> str:
    lock = folder / "package-lock.json"
    data = lock.read_bytes() if lock.is_file() else b""
    return hashlib.sha256(data).hexdigest()[:12]


def driver_home(source: Path | None = None) -> DriverHome:
    """Where the driver runs from: the checkout itself, or its copy in the data folder."""
    source = source or bundled_driver()
    if source is None:
        raise SetupError("the SDK driver (sdkclient/) is not part of this installation")
    if _is_checkout(source):
        folder = source
    else:  # one copy per lock file, so an upgrade never mixes dependency trees
        folder = data_folder() / f"sdkclient-{_lock_digest(source)}"
    installed = (folder / "node_modules").is_dir() and (folder / DRIVER_ENTRY).is_file()
    return DriverHome(folder, source, installed)


Progress = Callable[[float, str], None]  # (fraction 0..1, what is happening)


async def install(home: DriverHome, progress: Progress | None = None) -> DriverHome:
    """Copy the driver (if it runs from the data folder) and `npm ci` its dependencies."""
    report = progress or (lambda _f, _m: None)
    npm = find_npm()
    find_node()
    if home.folder != home.source:
        report(0.02, f"copying the driver to {home.folder}")
        home.folder.mkdir(parents=True, exist_ok=True)
        for item in home.source.iterdir():
            if item.name == "node_modules":
                continue
            target = home.folder / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True)
            else:
                shutil.copy2(item, target)
    report(0.05, "npm ci (installing the pinned SDK from the npm registry)")
    proc = await asyncio.create_subprocess_exec(
        npm,
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=http",
        cwd=str(home.folder),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    lines, expected = 0, 2 * _expected_packages(home.folder)  # metadata + tarball each
    tail: list[str] = []
    while True:
        raw = await proc.stdout.readline()
        if not raw:
            break
        text = raw.decode(errors="replace").rstrip()
        tail = [*tail, text][-20:]
        if "http fetch" in text:  # one per package tarball (and metadata)
            lines += 1
            report(min(0.05 + 0.9 * lines / max(expected, 1), 0.95), f"npm: {lines} fetched")
    code = await proc.wait()
    if code != 0:
        raise SetupError(f"npm ci failed (exit {code}) in {home.folder}:\n" + "\n".join(tail))
    report(1.0, "SDK driver installed")
    return DriverHome(home.folder, home.source, True)


def _expected_packages(folder: Path) -> int:
    import json

    try:
        lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 400
    return max(len(lock.get("packages", {})) - 1, 1)


def check_sdk_dir(path: str | os.PathLike[str]) -> Path:
    """`--sdk DIR`: a folder with the SDK's packages (a node_modules, or a webex-js-sdk
    checkout's packages). Refused early with what was expected."""
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise SetupError(f"--sdk {path}: not a folder")
    candidates = _plugin_dirs(folder)
    if not any((c / "package.json").is_file() for c in candidates):
        raise SetupError(
            f"--sdk {path}: no @webex/plugin-meetings in it: give a folder holding "
            "node_modules/@webex/plugin-meetings (an npm install, or a webex-js-sdk checkout "
            "after yarn install), or that node_modules itself"
        )
    return folder


def _plugin_dirs(folder: Path) -> tuple[Path, ...]:
    """Where the driver (sdkclient/lib/sdk.js resolveBase) looks: DIR/node_modules, or DIR
    being that node_modules."""
    if folder.name == "node_modules":
        return (folder / "@webex" / "plugin-meetings",)
    return (folder / "node_modules" / "@webex" / "plugin-meetings",)


def sdk_version_in(folder: Path) -> str | None:
    """The plugin-meetings version a folder holds (for the selector), if it says."""
    import json

    for c in _plugin_dirs(folder):
        try:
            return str(json.loads((c / "package.json").read_text(encoding="utf-8"))["version"])
        except (OSError, ValueError, KeyError):
            continue
    return None


async def ensure_driver(progress: Progress | None = None) -> DriverHome:
    """A runnable driver, installing its dependencies first if they are missing."""
    find_node()
    home = driver_home()
    if home.installed:
        return home
    return await install(home, progress)


async def prepare_cli(sdk_dir: str | None = None) -> DriverHome:
    """For `join` / `scenario --client sdk`: a runnable driver, progress on stderr."""
    if sdk_dir:
        check_sdk_dir(sdk_dir)

    def bar(fraction: float, message: str) -> None:
        filled = int(fraction * 30)
        bar_text = "#" * filled + "." * (30 - filled)
        print(
            f"\rSDK driver setup [{bar_text}] {fraction:4.0%} {message[:60]:<60}",
            end="" if fraction < 1 else "\n",
            file=sys.stderr,
            flush=True,
        )

    return await ensure_driver(bar)
