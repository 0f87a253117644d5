"""Exceptions -> one readable line for the window and the log (pure, no Qt)."""

from __future__ import annotations

import httpx

from app.ui.redact import redact_text


def readable(label: str, exc: BaseException) -> str:
    """'Join failed: cannot reach http://127.0.0.1:1 (connection refused)' and the like."""
    if isinstance(exc, httpx.TimeoutException):
        what = f"timed out talking to {_url(exc)}"
    elif isinstance(exc, httpx.ConnectError):
        what = f"cannot reach {_url(exc)} ({exc or 'connection failed'})"
    elif isinstance(exc, httpx.HTTPStatusError):
        what = f"HTTP {exc.response.status_code} from {exc.request.url}"
    elif isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        what = f"not a usable URL ({exc})"
    else:
        text = str(exc).strip()
        what = text if text else type(exc).__name__
    # one line, never a secret, never a wall of text
    line = " ".join(redact_text(what).split())
    if len(line) > 300:
        line = line[:299] + "…"
    return f"{label} failed: {line}"


def _url(exc: httpx.RequestError) -> str:
    try:
        return str(exc.request.url.copy_with(query=None))
    except RuntimeError:  # no request attached
        return "the server"
