"""The .deb end to end (`make package-test`; marked `packaging`, not part of `make test`).

Builds it with packaging/build.py (make package), checks its metadata and contents, that its
Depends cover every system library the bundle links to, runs `dcmon --smoke` from a scratch
root made with `dpkg -x`; and, as root, installs it for real with `apt-get install ./x.deb`,
runs `dcmon --smoke` from PATH, opens the window from the desktop entry under Xvfb (screenshot
in build/packaging-test/), and purges it, checking nothing is left.
Timings go to build/packaging-test/timings.txt and the terminal.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "packaging-test"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
# TOOLCHAIN.md: what Qt needs offscreen, and for a real (xcb) window
TOOLCHAIN_LIBS = (
    "libegl1 libgl1 libx11-6 libbrotli1 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 "
    "libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 "
    "libxcb-keysyms1 libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1"
).split()
HICOLOR = ("16x16", "22x22", "24x24", "32x32", "48x48", "64x64", "128x128", "256x256", "512x512")

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1500)]
_timings: dict[str, float] = {}


def _timed(name: str, started: float, config: pytest.Config) -> None:
    _timings[name] = time.perf_counter() - started
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "timings.txt").write_text(
        "".join(f"{k}: {v:.1f} s\n" for k, v in _timings.items()), encoding="utf-8"
    )
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[packaging] {name}: {_timings[name]:.1f} s")


def run(*cmd: str | Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], text=True, capture_output=True, **kw)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def deb(pytestconfig: pytest.Config) -> Path:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("needs dpkg-deb (a Debian-based system)")
    started = time.perf_counter()
    done = run(sys.executable, ROOT / "packaging" / "build.py", cwd=ROOT)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    _timed("make package (build.py: icons, PyInstaller, .deb)", started, pytestconfig)
    arch = run("dpkg", "--print-architecture").stdout.strip()
    path = ROOT / "dist" / f"dcmon_{VERSION}_{arch}.deb"
    assert path.is_file(), done.stdout
    return path


@pytest.fixture(scope="module")
def scratch_root(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deb-root")
    done = run("dpkg", "-x", deb, root)
    assert done.returncode == 0, done.stderr
    return root


def depends(deb: Path) -> list[str]:
    field = run("dpkg-deb", "-f", deb, "Depends").stdout
    return [d.strip() for d in field.split(",") if d.strip()]


def test_control_and_contents(deb: Path) -> None:
    fields = run("dpkg-deb", "-f", deb, "Package", "Version", "Installed-Size").stdout
    assert "Package: dcmon" in fields
    assert f"Version: {VERSION}" in fields
    names = {alt.split()[0] for d in depends(deb) for alt in d.split("|")}
    missing = [lib for lib in TOOLCHAIN_LIBS if lib not in names]
    assert not missing, f"Depends lacks {missing}"
    listing = run("dpkg-deb", "-c", deb).stdout
    assert re.search(r"\./usr/bin/dcmon -> /opt/dcmon/dcmon$", listing, re.M)
    assert re.search(r"^-rwxr-xr-x root/root .* \./opt/dcmon/dcmon$", listing, re.M)
    assert "./usr/share/applications/dcmon.desktop" in listing
    for size in HICOLOR:
        assert f"./usr/share/icons/hicolor/{size}/apps/dcmon.png" in listing
    assert "./usr/share/icons/hicolor/scalable/apps/dcmon.svg" in listing
    if shutil.which("ar"):
        assert "data.tar.zst" in run("ar", "t", deb).stdout.split()  # -Zzstd


def test_desktop_file_validates(scratch_root: Path) -> None:
    desktop = scratch_root / "usr" / "share" / "applications" / "dcmon.desktop"
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate not installed (desktop-file-utils)")
    done = run(tool, desktop)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def _soname_to_package(soname: str) -> str | None:
    cache = run("ldconfig", "-p").stdout
    m = re.search(rf"^\s+{re.escape(soname)} \(libc6,x86-64[^)]*\) => (\S+)$", cache, re.M)
    if m is None:
        return None
    path = Path(m.group(1))
    for candidate in {str(path), str(path.resolve())}:
        for alt in {candidate, candidate.replace("/usr/lib/", "/lib/", 1)}:
            owner = run("dpkg", "-S", alt)
            if owner.returncode == 0:
                return owner.stdout.split(":")[0].strip()
    return None


def test_depends_cover_every_system_library(deb: Path, scratch_root: Path) -> None:
    if shutil.which("readelf") is None:
        pytest.skip("needs readelf (binutils)")
    bundle = scratch_root / "opt" / "dcmon"
    elves = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    elves = [p for p in elves if p.read_bytes()[:4] == b"\x7fELF"]
    needed: set[str] = set()
    for i in range(0, len(elves), 200):
        out = run("readelf", "-d", *elves[i : i + 200]).stdout
        needed.update(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out))
    bundled = {p.name for p in bundle.rglob("*")}
    system = sorted(needed - bundled)
    allowed = {alt.split()[0] for d in depends(deb) for alt in d.split("|")}
    uncovered = {}
    for soname in system:
        package = _soname_to_package(soname)
        if package is None or package.split(":")[0] not in allowed:
            uncovered[soname] = package
    assert not uncovered, f"system libraries not covered by Depends: {uncovered}"


def test_smoke_from_scratch_root(scratch_root: Path, pytestconfig: pytest.Config) -> None:
    exe = scratch_root / "opt" / "dcmon" / "dcmon"
    version = run(exe, "--version", timeout=60)
    assert version.stdout.strip() == f"dcmon {VERSION}", version.stdout + version.stderr
    started = time.perf_counter()
    done = run(exe, "--smoke", timeout=180, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    _timed("dcmon --smoke (dpkg -x scratch root)", started, pytestconfig)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke passed" in done.stdout and "(frozen build)" in done.stdout


# ------------------------------------------------------------------ real install (root only)
def _installed() -> bool:
    out = run("dpkg-query", "-W", "-f=${Status}", "dcmon").stdout
    return "install ok installed" in out


@pytest.fixture(scope="module")
def system_install(deb: Path, pytestconfig: pytest.Config) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("installing into the system needs root and apt-get (CI runs as root)")
    if _installed():
        pytest.skip("dcmon is already installed here; not replacing it")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    started = time.perf_counter()
    done = run("apt-get", "install", "-y", "--no-install-recommends", deb, env=env)
    if done.returncode != 0:  # package lists may be missing on a fresh machine
        run("apt-get", "update", "-qq", env=env)
        done = run("apt-get", "install", "-y", "--no-install-recommends", deb, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    _timed("apt-get install ./dcmon_*.deb", started, pytestconfig)
    try:
        yield deb
    finally:
        if _installed():
            run("apt-get", "purge", "-y", "dcmon", env=env)


def test_installed_smoke(system_install: Path, pytestconfig: pytest.Config) -> None:
    dcmon = shutil.which("dcmon", path="/usr/bin")
    assert dcmon == "/usr/bin/dcmon"
    assert os.path.realpath(dcmon) == "/opt/dcmon/dcmon"
    started = time.perf_counter()
    done = run("dcmon", "--smoke", timeout=180, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    _timed("dcmon --smoke (installed with apt-get)", started, pytestconfig)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "from /opt/dcmon/_internal/resources" in done.stdout


GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
image = app.primaryScreen().grabWindow(0).toImage()
w, h = image.width(), image.height()
colours = {image.pixel(x, y) for x in range(0, w, 7) for y in range(0, h, 7)}
print("colours", len(colours), "saved", image.save(sys.argv[1]))
"""

XVFB_SCRIPT = """
$DCMON_EXEC > "$OUT/desktop-entry.log" 2>&1 &
pid=$!
for i in $(seq 1 120); do xwininfo -root -tree | grep -q '"dcmon' && break; sleep 0.25; done
xwininfo -root -tree | grep '"dcmon' | head -1 | sed 's/^ */window: /'
sleep 3  # first paint, the embedded simulator starting
"$PY" -c "$GRAB" "$OUT/desktop-entry.png"
kill -TERM "$pid"
for i in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
wait "$pid"; echo "exit: $?"
"""


def test_window_opens_from_the_desktop_entry(system_install: Path, tmp_path: Path) -> None:
    for tool in ("xvfb-run", "xwininfo"):
        assert shutil.which(tool), (
            f"{tool} missing: make package-test installs it (xvfb, x11-utils)"
        )
    desktop = Path("/usr/share/applications/dcmon.desktop").read_text(encoding="utf-8")
    exec_line = re.search(r"^Exec=(.*)$", desktop, re.M).group(1)  # type: ignore[union-attr]
    assert "%" not in exec_line  # no field codes to expand
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "desktop-entry.png").unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(
        DCMON_EXEC=exec_line,
        OUT=str(OUT),
        PY=sys.executable,
        GRAB=GRAB,
        HOME=str(tmp_path),  # the window's settings go to a throw-away home
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    done = run(
        "xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", "bash", "-c", XVFB_SCRIPT,
        env=env, timeout=120,
    )  # fmt: skip
    log = OUT / "desktop-entry.log"
    report = done.stdout + done.stderr + (log.read_text(errors="replace") if log.exists() else "")
    assert re.search(r'window: .*"dcmon', done.stdout), report
    colours = re.search(r"colours (\d+) saved True", done.stdout)
    assert colours and int(colours.group(1)) > 20, report  # a drawn window, not a blank screen
    assert "exit: 0" in done.stdout, report  # SIGTERM closes the window cleanly


def test_purge_leaves_nothing(system_install: Path, pytestconfig: pytest.Config) -> None:
    files = run("dpkg-query", "-L", "dcmon").stdout.split()
    started = time.perf_counter()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    done = run("apt-get", "purge", "-y", "dcmon", env=env)
    _timed("apt-get purge dcmon", started, pytestconfig)
    assert done.returncode == 0, done.stderr
    assert not _installed()
    assert not Path("/opt/dcmon").exists()
    ours = [f for f in files if f.startswith(("/opt/", "/usr/bin/")) or "/dcmon." in f]
    left = [f for f in ours if os.path.lexists(f)]
    assert not left, left
