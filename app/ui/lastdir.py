"""The folder file dialogs start in: the last one a file was saved to or opened from.

One per kind of file ("export", "session", "scenario", "report"), remembered for the
process; a QSettings given with `use_settings` keeps them across starts too.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

_dirs: dict[str, str] = {}
_settings: QSettings | None = None


def use_settings(settings: QSettings | None) -> None:
    global _settings
    _settings = settings


def get(kind: str, fallback: str | Path | None = None) -> str | None:
    value = _dirs.get(kind)
    if value is None and _settings is not None:
        stored = _settings.value(f"dialogs/{kind}")
        value = stored if isinstance(stored, str) else None
    if value and Path(value).is_dir():
        return value
    if fallback is not None and Path(fallback).is_dir():
        return str(Path(fallback).resolve())
    return None


def remember(kind: str, path: str | Path) -> None:
    folder = str(Path(path).resolve().parent)
    _dirs[kind] = folder
    if _settings is not None:
        _settings.setValue(f"dialogs/{kind}", folder)


def start_in(dlg: QFileDialog, kind: str, fallback: str | Path | None = None) -> None:
    """Point `dlg` at the remembered folder and remember the file the user picks."""
    folder = get(kind, fallback)
    if folder is not None:
        dlg.setDirectory(folder)
    dlg.fileSelected.connect(lambda path: remember(kind, path) if path else None)
