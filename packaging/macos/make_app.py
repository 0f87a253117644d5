"""macOS: dist/dcmon.app (Info.plist, dcmon.icns) and dist/dcmon-<ver>-macos-<arch>.dmg.

    python packaging/macos/make_app.py          (on macOS, in the project's venv)

1. packaging/build.py --bundle-only: icons.py renders build/icons/dcmon.iconset and, on
   macOS, `iconutil -c icns` turns it into build/icons/dcmon.icns; PyInstaller then builds
   the one-folder app and, on macOS, dcmon.spec wraps it in dist/dcmon.app with BUNDLE,
   using info_plist() below and that icns. (PyInstaller lays the bundle out for code
   signing: code in Contents/Frameworks and Contents/MacOS, data in Contents/Resources,
   linked both ways; copying a one-folder build into Contents/MacOS by hand does not sign.)
   It signs ad hoc (needed to run at all on Apple silicon); a Developer ID signature and
   notarisation need the project's certificate and are not done here.
2. Checks the bundle: Info.plist version = pyproject's, the icns is there, `codesign --verify`,
   and `dcmon --smoke` from inside the .app.
3. hdiutil makes a compressed .dmg holding dcmon.app and an /Applications link.

`--plist-only PATH` writes just the Info.plist (any OS; the tests use it).
"""

from __future__ import annotations

import argparse
import platform
import plistlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE_ID = "io.github.dcmon"
MIN_MACOS = "12.0"  # Qt 6.11 supports macOS 12 and later


def version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def info_plist(ver: str) -> dict[str, object]:
    return {
        "CFBundleName": "dcmon",
        "CFBundleDisplayName": "dcmon",
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleExecutable": "dcmon",
        "CFBundleIconFile": "dcmon.icns",
        "CFBundlePackageType": "APPL",
        "CFBundleInfoDictionaryVersion": "6.0",
        "CFBundleShortVersionString": ver,
        "CFBundleVersion": ver,
        "LSMinimumSystemVersion": MIN_MACOS,
        "LSApplicationCategoryType": "public.app-category.developer-tools",
        "NSHighResolutionCapable": True,
        "NSPrincipalClass": "NSApplication",
        "NSRequiresAquaSystemAppearance": False,  # follow dark mode
    }


def run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def check_app(app: Path, ver: str) -> None:
    with open(app / "Contents" / "Info.plist", "rb") as fh:
        plist = plistlib.load(fh)
    if plist.get("CFBundleShortVersionString") != ver:
        sys.exit(f"{app}: Info.plist version {plist.get('CFBundleShortVersionString')} != {ver}")
    if not (app / "Contents" / "Resources" / "dcmon.icns").exists():
        sys.exit(f"{app}: no Contents/Resources/dcmon.icns")
    run("codesign", "--verify", "--deep", "--strict", str(app))
    run(str(app / "Contents" / "MacOS" / "dcmon"), "--smoke")


def make_dmg(app: Path, dmg: Path) -> Path:
    staging = app.parent / "dmg-staging"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    shutil.copytree(app, staging / app.name, symlinks=True)
    (staging / "Applications").symlink_to("/Applications")  # drag-to-install
    dmg.unlink(missing_ok=True)
    run(
        "hdiutil", "create", "-volname", f"dcmon {version()}", "-srcfolder", str(staging),
        "-fs", "HFS+", "-format", "UDZO", "-ov", str(dmg),
    )  # fmt: skip
    shutil.rmtree(staging)
    return dmg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--no-build", action="store_true", help="use the existing dist/dcmon.app")
    parser.add_argument("--plist-only", type=Path, metavar="PATH", help="write Info.plist and stop")
    args = parser.parse_args(argv)
    ver = version()
    if args.plist_only:
        with open(args.plist_only, "wb") as fh:
            plistlib.dump(info_plist(ver), fh)
        return 0
    if sys.platform != "darwin":
        sys.exit("make_app.py needs macOS (iconutil, codesign, hdiutil)")
    if not args.no_build:
        run(sys.executable, str(ROOT / "packaging" / "build.py"), "--bundle-only")
    app = args.dist / "dcmon.app"
    check_app(app, ver)
    arch = platform.machine()  # arm64 or x86_64: PyInstaller builds for the runner's arch
    dmg = make_dmg(app, args.dist / f"dcmon-{ver}-macos-{arch}.dmg")
    print(f"built {app} and {dmg}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
