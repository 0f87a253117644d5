"""Transport security: certificate verification, a custom CA, and no plain text off-machine.

One policy per client, applied to every HTTP call and every socket, including the URLs the
server hands out (locus, datachannel and webSocket URLs): certificates are verified by
default (a private CA is trusted through a CA file, never by switching checks off), and
plain `http://` / `ws://` is refused for any host that is not loopback unless the user
allowed it explicitly. The check runs before any connection is attempted.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

PLAIN_SCHEMES = frozenset({"http", "ws"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class InsecureTransportError(ValueError):
    """A plain-text URL to a host off this machine, not explicitly allowed."""


@functools.lru_cache(maxsize=64)  # every call and socket checks its host; ipaddress is slow
def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class TransportPolicy:
    verify: bool = True  # verify server certificates (the default; off only on request)
    ca_file: str | None = None  # PEM CA bundle to trust instead of the system's
    allow_insecure: bool = False  # allow http:// and ws:// to hosts that are not loopback

    def check(self, url: str) -> None:
        """Raise InsecureTransportError for plain text to a non-loopback host (not allowed);
        ValueError for a URL that does not even parse."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in PLAIN_SCHEMES or self.allow_insecure:
            return
        if is_loopback(parts.hostname):
            return
        raise InsecureTransportError(
            f"refusing plain {parts.scheme}:// to {parts.hostname!r}: not a loopback host, and "
            "tokens would travel unencrypted (use https, or allow insecure transport explicitly)"
        )

    def ssl_context(self) -> ssl.SSLContext:
        """One context for HTTPS and WSS: system CAs, or only `ca_file` when given."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def describe_tls_error(exc: BaseException) -> str | None:
    """A sentence for a certificate or TLS failure anywhere in the cause chain, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            why = current.verify_message or current.reason or "not trusted"
            return f"TLS certificate not accepted ({why}); for a private CA, pass its CA file"
        if isinstance(current, ssl.SSLError):
            return f"TLS handshake failed ({current.reason or type(current).__name__})"
        current = current.__cause__ or current.__context__
    return None


def describe_resolution_error(exc: BaseException, host: str | None) -> str | None:
    """A sentence for a host name that does not resolve, anywhere in the chain, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, socket.gaierror):
            return f"cannot resolve host name {host!r} (DNS failure or no such host)"
        current = current.__cause__ or current.__context__
    return None
