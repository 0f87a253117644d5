"""Last line of defence for anything the UI shows or exports: no token survives in full.

The core already masks tokens before they reach events; this catches what slips through
(a server echoing a header into an error text, a JWT inside a URL) in nested event data.
Text patterns are the core's (app.core.redact); this adds walking JSON-like values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.core.redact import redact_text
from app.core.tokens import mask

__all__ = ["redact", "redact_text"]

# keys whose values are secrets: "token", "user_token", "datachannelToken" (not "token_type")
_SECRET_KEYS = re.compile(r"(?i)(token|authorization|secret|password)$")


def redact(value: Any, key: str = "") -> Any:
    """Recursively redact a JSON-like value; strings under secret-looking keys are masked."""
    if isinstance(value, str):
        if _SECRET_KEYS.search(key) and len(value) > 12 and "…" not in value:
            return mask(value)
        return redact_text(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, key) for v in value]
    return value
