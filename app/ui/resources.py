"""Where icons and style sheets live: the source tree's resources/, or a frozen bundle's."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(name: str) -> Path | None:
    roots = [Path(__file__).resolve().parents[2] / "resources"]
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller
    if bundle:
        roots.insert(0, Path(bundle) / "resources")
    roots.append(Path(__file__).resolve().parents[1] / "resources")  # installed package data
    for root in roots:
        path = root / name
        if path.exists():
            return path
    return None
