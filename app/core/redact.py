"""Secrets never reach a log line: bearer tokens and JWTs in any text are masked.

The core masks tokens itself wherever it writes them (events, snapshots, errors, reprs).
This filter covers the libraries underneath: websockets logs frames at DEBUG, and the
authorization frame carries the user's bearer token.
"""

from __future__ import annotations

import logging
import re

from app.core.tokens import mask

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer)(\s+)([A-Za-z0-9._~+/=-]+)")
_HEADER = re.compile(r"(?i)\b(authorization|data-channel-auth-token)(:\s*)(\S+)")


def redact_text(text: str) -> str:
    """`text` with every bearer token, auth header value and JWT masked."""
    text = _JWT.sub(lambda m: mask(m.group(0)), text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{mask(m.group(3))}", text)
    return _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{mask(m.group(3))}", text)


class RedactingFilter(logging.Filter):
    """Formats the record once and masks secrets in the result (args are dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logger's problem, not a leak
            return True
        redacted = redact_text(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


def redacting_logger(name: str) -> logging.Logger:
    """A logger whose own records are redacted before any handler sees them."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
