"""A name-resolver stub: only loopback names resolve; nothing ever leaves the machine.

Tests that exercise "the server's name does not resolve" use a name under the reserved
`.invalid` TLD (RFC 6761), and this stub answers it with the same `socket.gaierror` a real
resolver gives, without asking any DNS server. Any other non-loopback name fails the same
way and is recorded, so a test can also assert that nothing tried to go out.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True  # a passive / wildcard lookup never queries a resolver
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


class ResolverStub:
    def __init__(self) -> None:
        self.refused: list[str] = []  # names something tried to resolve (and could not)
        self._real = socket.getaddrinfo

    def getaddrinfo(self, host: Any, *args: Any, **kwargs: Any) -> Any:
        if _is_loopback(host):
            return self._real(host, *args, **kwargs)
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
        self.refused.append(name)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


@contextlib.contextmanager
def loopback_only() -> Iterator[ResolverStub]:
    """Patch `socket.getaddrinfo` (which asyncio, httpx and websockets all use) for a while."""
    stub = ResolverStub()
    socket.getaddrinfo = stub.getaddrinfo  # type: ignore[assignment]
    try:
        yield stub
    finally:
        socket.getaddrinfo = stub._real  # type: ignore[assignment]
