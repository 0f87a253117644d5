"""Fast checks of the packaging sources (run by `make test`); the build itself is test_deb.py."""

from __future__ import annotations

import plistlib
import re
import shutil
import struct
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
sys.path.insert(0, str(PACKAGING))


def test_desktop_file_is_valid() -> None:
    path = PACKAGING / "linux" / "dcmon.desktop"
    text = path.read_text(encoding="utf-8")
    assert re.search(r"^Exec=dcmon( |$)", text, re.M)
    assert re.search(r"^Icon=dcmon$", text, re.M)
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.fail(
            "desktop-file-validate is missing: apt-get install -y desktop-file-utils"
            " (make test installs it when run as root)"
        )
    done = subprocess.run([tool, str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_ico_directory_points_at_each_entry() -> None:
    import icons

    blobs = {16: b"a" * 10, 32: b"b" * 20, 256: b"c" * 30}
    data = icons.ico_bytes(blobs)
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, 3)
    for i, size in enumerate(sorted(blobs)):
        w, h, _, _, planes, bpp, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * i)
        assert (w, h) == ((0, 0) if size == 256 else (size, size))
        assert (planes, bpp) == (1, 32)
        assert data[offset : offset + length] == blobs[size]


def test_macos_info_plist_carries_the_pyproject_version(tmp_path: Path) -> None:
    out = tmp_path / "Info.plist"
    subprocess.run(
        [sys.executable, str(PACKAGING / "macos" / "make_app.py"), "--plist-only", str(out)],
        check=True,
    )
    plist = plistlib.loads(out.read_bytes())
    assert plist["CFBundleShortVersionString"] == VERSION
    assert plist["CFBundleExecutable"] == "dcmon"
    assert plist["CFBundleIconFile"] == "dcmon.icns"
    assert plist["CFBundlePackageType"] == "APPL"


def test_inno_script_upgrades_cleanly_and_takes_the_version_from_outside() -> None:
    iss = (PACKAGING / "windows" / "dcmon.iss").read_text(encoding="utf-8")
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}$", iss, re.M), "a fixed AppId (upgrades)"
    assert "AppVersion={#AppVersion}" in iss and "#error" in iss  # no version written here
    install_delete = iss.split("\n[InstallDelete]")[1].split("\n[")[0]
    assert '{app}\\_internal"' in install_delete  # the old bundle goes first
    assert "{autoprograms}\\dcmon" in iss and "{uninstallexe}" in iss


def test_release_workflow_builds_all_three_from_a_tag() -> None:
    wf = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert re.search(r'tags: \["v\*"\]', wf)
    for os_name in ("ubuntu-", "windows-", "macos-"):
        assert f"os: {os_name}" in wf
    for artefact in ("make package", "dcmon.iss", "make_app.py", "--smoke"):
        assert artefact in wf


def test_smoke_from_source_passes() -> None:
    """app.smoke against the source tree: the window, the icon and the whole demo tour."""
    done = subprocess.run(
        [sys.executable, "-c", "from app.smoke import run_smoke; raise SystemExit(run_smoke())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke passed" in done.stdout
    assert "FAIL" not in done.stdout
