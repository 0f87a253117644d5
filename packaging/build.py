"""Build dcmon for distribution: icons, the PyInstaller one-folder bundle, and (Linux) the .deb.

    python packaging/build.py                  # icons + dist/dcmon/ + dist/dcmon_<ver>_<arch>.deb
    python packaging/build.py --bundle-only    # icons + dist/dcmon/ (Windows / macOS CI use this)
    python packaging/build.py --measure        # also builds an unpruned bundle and compares sizes

`make package` runs the first form. Idempotent: PyInstaller's cache lives in build/pyinstaller,
the .deb staging tree is rebuilt from scratch, outputs are overwritten. The version comes from
pyproject.toml only (the same value the app reads from its bundled package metadata).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build"
DIST = ROOT / "dist"
sys.path.insert(0, str(PACKAGING))

# The .deb's Depends: every system library the bundle links to directly (readelf NEEDED,
# checked by tests/packaging), i.e. TOOLCHAIN.md's offscreen + window lists and the few
# others the pruned bundle takes from the system instead of bundling them (dcmon.spec).
DEPENDS = [
    "libc6 (>= 2.34)",  # the PySide6 wheels are manylinux_2_34
    "libstdc++6",
    "libgcc-s1",
    "zlib1g",
    "libbz2-1.0",
    "liblzma5",
    "libzstd1",
    "libffi8",
    "libuuid1",
    "libglib2.0-0t64 | libglib2.0-0",  # renamed by the 64-bit time_t transition
    "libdbus-1-3",
    "libfontconfig1",
    "libfreetype6",
    "libbrotli1",
    "libegl1",
    "libgl1",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-glx0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-render0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
]
DESCRIPTION = """\
Desktop monitor for meeting data channels
 dcmon joins a Webex-style meeting through its own async core and shows, live,
 lobby / admitted / panelist / practice-session state, datachannel tokens, the
 device socket and both data channels, subscriptions, close codes, ping latency
 and an event timeline. A protocol-faithful backend simulator is built in.
 .
 `dcmon --smoke` checks an installation headless; `dcmon demo` runs the tour."""


def version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def step(title: str) -> float:
    print(f"==> {title}", flush=True)
    return time.perf_counter()


def done(started: float, what: str = "") -> None:
    print(f"    done in {time.perf_counter() - started:.1f} s{(' - ' + what) if what else ''}")


def tree_size(path: Path) -> int:
    """Bytes of regular files (symlinks not followed), like `du -sb --apparent-size`."""
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def icons() -> Path:
    import icons as icon_tool  # packaging/icons.py

    started = step("icons (from resources/dcmon.svg)")
    out = icon_tool.build(BUILD / "icons")
    done(started, str(out.relative_to(ROOT)))
    return out


def bundle(prune: bool = True, distpath: Path = DIST, workpath: Path | None = None) -> Path:
    workpath = workpath or BUILD / ("pyinstaller" if prune else "pyinstaller-unpruned")
    started = step(f"PyInstaller one-folder bundle ({'pruned' if prune else 'unpruned'})")
    env = dict(os.environ, DCMON_PRUNE="1" if prune else "0", DCMON_ICON_DIR=str(BUILD / "icons"))
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(distpath),
        "--workpath",
        str(workpath),
        str(PACKAGING / "dcmon.spec"),
    ]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)
    out = distpath / "dcmon"
    done(started, f"{out} {mb(tree_size(out))}")
    return out


def desktop_file() -> str:
    return (PACKAGING / "linux" / "dcmon.desktop").read_text(encoding="utf-8")


def deb(bundle_dir: Path, icon_dir: Path) -> Path:
    started = step("Debian package (dpkg-deb, zstd)")
    ver = version()
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    ).stdout.strip()
    stage = BUILD / "deb" / "root"
    if stage.exists():
        shutil.rmtree(stage)
    opt = stage / "opt" / "dcmon"
    shutil.copytree(bundle_dir, opt, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / "dcmon").symlink_to("/opt/dcmon/dcmon")
    apps = stage / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    (apps / "dcmon.desktop").write_text(desktop_file(), encoding="utf-8")
    validate_desktop(apps / "dcmon.desktop")
    shutil.copytree(icon_dir / "hicolor", stage / "usr" / "share" / "icons" / "hicolor")
    doc = stage / "usr" / "share" / "doc" / "dcmon"
    doc.mkdir(parents=True)
    shutil.copyfile(PACKAGING / "linux" / "copyright", doc / "copyright")
    _normalise_modes(stage)
    installed_kb = (tree_size(stage) + 1023) // 1024
    control = stage / "DEBIAN"
    control.mkdir(mode=0o755)
    fields = {
        "Package": "dcmon",
        "Version": ver,
        "Architecture": arch,
        "Maintainer": "dcmon maintainers <dcmon@localhost>",
        "Installed-Size": str(installed_kb),
        "Depends": ", ".join(DEPENDS),
        # the simulator's TLS mode makes its throw-away certificate with the openssl command
        "Recommends": "openssl",
        "Section": "net",
        "Priority": "optional",
        "Description": DESCRIPTION,
    }
    (control / "control").write_text(
        "".join(f"{k}: {v}\n" for k, v in fields.items()), encoding="utf-8"
    )
    out = DIST / f"dcmon_{ver}_{arch}.deb"
    DIST.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", "-Zzstd", str(stage), str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    done(started, f"{out.relative_to(ROOT)} {mb(out.stat().st_size)}")
    return out


def _normalise_modes(stage: Path) -> None:
    """0755 for directories and executables, 0644 for the rest (umask-independent)."""
    for p in [stage, *stage.rglob("*")]:
        if p.is_symlink():
            continue
        if p.is_dir() or os.access(p, os.X_OK):
            p.chmod(0o755)
        else:
            p.chmod(0o644)


def validate_desktop(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        print(
            "    desktop-file-validate not found: the .desktop file is not checked "
            "(apt-get install desktop-file-utils)",
            file=sys.stderr,
        )
        return
    result = subprocess.run([tool, str(path)], capture_output=True, text=True)
    if result.returncode != 0 or result.stdout.strip():
        raise SystemExit(f"desktop-file-validate {path}:\n{result.stdout}{result.stderr}")
    print("    desktop-file-validate: ok")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle-only", action="store_true", help="no .deb")
    parser.add_argument(
        "--measure", action="store_true", help="also build unpruned (build/measure) and compare"
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    print(f"dcmon {version()} on {platform.system()} {platform.machine()}", flush=True)
    icon_dir = icons()
    out = bundle(prune=True)
    if args.measure:
        unpruned = bundle(prune=False, distpath=BUILD / "measure")
        a, b = tree_size(unpruned), tree_size(out)
        print(f"    bundle size: unpruned {mb(a)}, pruned {mb(b)} ({100 * (a - b) / a:.0f}% less)")
    if not args.bundle_only and sys.platform.startswith("linux"):
        deb(out, icon_dir)
    print(f"built in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
