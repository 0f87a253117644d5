"""TLS for the simulator: a throwaway CA and a loopback server certificate, made at runtime.

Generated with the `openssl` command-line tool (no extra Python dependency): a CA that
exists only in a temporary directory signs a certificate for `127.0.0.1`, `::1` and
`localhost`. Clients trust it through a CA file (`MeetingClient(ca_file=...)`), never by
turning verification off.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path


class TlsSetupError(RuntimeError):
    """The certificate could not be made (no openssl, or it failed); the message says why."""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA to trust, and the server's certificate chain and key."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


_SERVER_EXT = """\
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
"""


def generate(directory: Path | str, days: int = 2) -> TlsFiles:
    """Make `ca.pem`, `server.pem` (certificate) and `server.key` in `directory`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TlsSetupError("the openssl command is needed to make a test certificate")
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca = d / "ca.key", d / "ca.pem"
    key, csr, cert, ext = d / "server.key", d / "server.csr", d / "server.pem", d / "server.ext"
    ext.write_text(_SERVER_EXT)
    steps = [
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", ca_key, "-out", ca, "-days", str(days),
         "-subj", "/CN=dcmon simulator test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
        [openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
        [openssl, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", str(days), "-extfile", ext],
    ]  # fmt: skip
    for argv in steps:
        try:
            subprocess.run(
                [str(a) for a in argv], check=True, capture_output=True, timeout=30, stdin=None
            )
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise TlsSetupError(f"openssl failed: {' '.join(detail) or exc}") from None
        except subprocess.TimeoutExpired:
            raise TlsSetupError("openssl did not finish in time") from None
    return TlsFiles(ca, cert, key)
