"""Render the app icon (resources/dcmon.svg) for every platform, with Qt only (no extra tools).

    python packaging/icons.py [OUT_DIR]        (default build/icons)

Writes:
  hicolor/<N>x<N>/apps/dcmon.png  for N in 16..512, and hicolor/scalable/apps/dcmon.svg (Linux)
  dcmon.ico                       16..256 (Windows: 32-bit DIB entries, PNG at 256)
  dcmon.iconset/                  Apple's names, and on macOS dcmon.icns made from it by
                                  `iconutil -c icns` (used by dcmon.spec's BUNDLE)
Idempotent: re-rendered only when the SVG is newer than the outputs.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "dcmon.svg"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICONSET = {  # Apple's iconset names -> pixels
    "icon_16x16.png": 16,
    "icon_16x16@2x.png": 32,
    "icon_32x32.png": 32,
    "icon_32x32@2x.png": 64,
    "icon_128x128.png": 128,
    "icon_128x128@2x.png": 256,
    "icon_256x256.png": 256,
    "icon_256x256@2x.png": 512,
    "icon_512x512.png": 512,
    "icon_512x512@2x.png": 1024,
}


def render(svg: Path, size: int):  # -> QImage (ARGB32, straight alpha)
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def render_png(svg: Path, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    image = render(svg, size)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def dib_bytes(svg: Path, size: int) -> bytes:
    """An .ico entry as a classic 32-bit DIB: BITMAPINFOHEADER (height doubled for the AND
    mask), BGRA rows bottom-up, then an all-zero 1-bit AND mask (alpha does the masking)."""
    image = render(svg, size)
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in range(size - 1, -1, -1):  # bottom-up
        line = image.constScanLine(y)  # ARGB32 in memory order on little-endian: B, G, R, A
        rows.append(bytes(line)[: size * 4])
    mask_row = ((size + 31) // 32) * 4
    return header + b"".join(rows) + bytes(mask_row * size)


def ico_bytes(entries_by_size: dict[int, bytes]) -> bytes:
    """An .ico from ready-made entries (DIB or PNG); 256 is stored as 0 in the directory."""
    sizes = sorted(entries_by_size)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        blob = entries_by_size[s]
        dim = 0 if s >= 256 else s
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
        blobs += blob
    return header + entries + blobs


def build(out: Path, svg: Path = SVG) -> Path:
    stamp = out / ".rendered"
    if stamp.exists() and stamp.stat().st_mtime >= svg.stat().st_mtime:
        return out
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    if out.exists():
        shutil.rmtree(out)
    cache: dict[int, bytes] = {}

    def png(size: int) -> bytes:
        if size not in cache:
            cache[size] = render_png(svg, size)
        return cache[size]

    for size in HICOLOR_SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / "dcmon.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png(size))
    scalable = out / "hicolor" / "scalable" / "apps" / "dcmon.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable)
    # DIB entries below 256 px and a PNG one at 256: what every Windows tool reads (rc,
    # Inno Setup, Explorer); PNG-compressed entries are Vista+ only at 256
    ico = {s: png(s) if s >= 256 else dib_bytes(svg, s) for s in ICO_SIZES}
    (out / "dcmon.ico").write_bytes(ico_bytes(ico))
    iconset = out / "dcmon.iconset"
    iconset.mkdir(parents=True, exist_ok=True)
    for name, size in ICONSET.items():
        (iconset / name).write_bytes(png(size))
    if sys.platform == "darwin" and shutil.which("iconutil"):
        icns = out / "dcmon.icns"
        subprocess.run(["iconutil", "-c", "icns", str(iconset), "-o", str(icns)], check=True)
    stamp.touch()
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"
    print(f"icons: {build(target)}")
