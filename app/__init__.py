"""dcmon: a desktop monitor for meeting data channels."""

from importlib import metadata

try:
    __version__ = metadata.version("dcmon")
except metadata.PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
