"""Datachannel tokens: real HS256 JWTs minted and verified with a per-simulator secret.

The client only decodes `exp` (PROTOCOL.md section 3); the signature lets the registration
endpoint tell "a token this simulator issued" from anything else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
from typing import Any

_HEADER = {"alg": "HS256", "typ": "JWT"}


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mask(token: str | None) -> str:
    """What a log may show of a secret: first 6 and last 4 characters at most."""
    if not token:
        return "<none>"
    if len(token) <= 12:
        return "*" * len(token)
    return f"{token[:6]}...{token[-4:]}"


_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=-]+)")


def redact_text(text: str) -> str:
    """`text` with JWTs and bearer tokens masked (the simulator's logs hold no secret)."""
    text = _JWT.sub(lambda m: mask(m.group(0)), text)
    return _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{mask(m.group(3))}", text)


class RedactingFilter(logging.Filter):
    """uvicorn's WebSocket layer logs frames at DEBUG; the authorization frame is a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class TokenMint:
    """Mints and verifies the JWTs of one simulator instance."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._minted: list[str] = []  # test-only: lets a test search outputs for raw tokens

    def __repr__(self) -> str:  # never the secret, never a token
        return f"TokenMint({len(self._minted)} minted)"

    def minted(self) -> list[str]:
        """Every token this mint issued, raw. For leak tests only; never log these."""
        return list(self._minted)

    def _sign(self, signing_input: bytes) -> str:
        return _b64encode(hmac.new(self._secret, signing_input, hashlib.sha256).digest())

    def mint(self, claims: dict[str, Any]) -> str:
        header = _b64encode(json.dumps(_HEADER, separators=(",", ":")).encode())
        payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{payload}".encode("ascii")
        token = f"{header}.{payload}.{self._sign(signing_input)}"
        self._minted.append(token)
        return token

    def verify(self, token: str) -> dict[str, Any] | None:
        """Claims of a token this mint signed, or None (bad shape, bad signature, not JSON).

        Expiry is not checked here: the caller knows the clock and the revocation list.
        """
        parts = token.split(".")
        if len(parts) != 3:
            return None
        header, payload, signature = parts
        try:
            signing_input = f"{header}.{payload}".encode("ascii")
        except UnicodeEncodeError:
            return None
        expected = self._sign(signing_input).encode("ascii")
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            return None
        try:
            claims = json.loads(_b64decode(payload))
        except (binascii.Error, ValueError, RecursionError):
            return None
        return claims if isinstance(claims, dict) else None


def decode_unverified(token: str) -> dict[str, Any] | None:
    """Payload of any JWT-shaped string without checking the signature (test helper)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(_b64decode(parts[1]))
    except (binascii.Error, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None
