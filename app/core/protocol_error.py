"""The one exception every parser of network input raises (and nothing else), so the I/O
layer can report bad input and carry on."""

from __future__ import annotations


class ProtocolError(ValueError):
    """Input from the network that does not follow PROTOCOL.md."""
