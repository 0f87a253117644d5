"""dcmon: a desktop monitor for meeting data channels."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`__version__` on first use: importlib.metadata costs ~20 ms, which the window's start-up
    (python -m app gui -> first paint) should not pay for a string it never shows."""
    if name != "__version__":
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("dcmon")
    except metadata.PackageNotFoundError:  # running from a source tree that was not installed
        version = "0.0.0+source"
    globals()["__version__"] = version
    return version
