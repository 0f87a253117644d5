"""The server's close codes offered by a card's Drop menu, in words (pure, no Qt)."""

from __future__ import annotations

import re

from app.core.close_codes import classify_close

# Codes a server may close with, to exercise every row of the close-code table.
CLOSE_CHOICES: tuple[tuple[int, str], ...] = (
    (1001, "going away"),
    (1011, "server error"),
    (1000, "idle"),
    (1000, "pong not received"),
    (3050, "done (forced)"),
    (4000, "replaced"),
    (4000, "rebalance"),
    (4001, "drain"),
    (1003, "unsupported data"),
    (1000, "bye"),
)
DEFAULT_DROP = CLOSE_CHOICES[0]


def close_choice_label(code: int, reason: str) -> str:
    """'1001 “going away” → reconnect': the code, its reason and what the client does."""
    action = classify_close(code, reason, online=True).action.value
    said = re.fullmatch(r"(.*) \((.*)\)", action)
    if said and said.group(2) in reason:  # '4000 “replaced” → stay offline', said once
        action = said.group(1)
    return f"{code} “{reason}” → {action}"
