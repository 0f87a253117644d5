"""Datachannel tokens: JWT exp, masking, and a store with one slot per token type.

Writes are generation-checked: every fetch takes a ticket (the slot's epoch when it started);
leaving the meeting or losing the right to a token type bumps the epoch, so a late answer is
dropped instead of cached (SCENARIOS A3, P2). Concurrent refreshes of one type share one fetch
(T3); each type has its own slot (T4).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.core.protocol import ProtocolError


class TokenError(Exception):
    """A token could not be had (HTTP failure, refused, bad answer); message is user-facing."""


class StaleTokenError(TokenError):
    """The fetch finished for a meeting or entitlement that has since ended; result dropped."""


def mask(secret: str | None) -> str:
    """Enough to tell two tokens apart, never enough to use one."""
    if not secret:
        return "-"
    if len(secret) <= 12:
        return "…" * 3
    return f"{secret[:4]}…{secret[-3:]}"


def jwt_claims(token: str) -> dict[str, Any]:
    """Decode (without verifying) the payload of a JWT; ProtocolError if it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ProtocolError("token is not a JWT (expected three dot-separated parts)")
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(body.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise ProtocolError(f"token payload does not decode: {str(exc)[:120]}") from None
    except RecursionError:
        raise ProtocolError("token payload does not decode: nested too deeply") from None
    if not isinstance(claims, dict):
        raise ProtocolError("token payload is not a JSON object")
    return claims


def jwt_exp(token: str) -> float | None:
    """The `exp` claim in seconds since the epoch, None when absent; ProtocolError if bad."""
    exp = jwt_claims(token).get("exp")
    if exp is None:
        return None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        raise ProtocolError("token exp is not a number")
    return float(exp)


def is_expired(token: str, now: float, margin: float = 30.0) -> bool:
    """PROTOCOL.md s. 3: expired when exp is within `margin` of now, or undecodable."""
    try:
        exp = jwt_exp(token)
    except ProtocolError:
        return True
    return exp is not None and exp < now + margin


@dataclass(frozen=True)
class TokenSlot:
    token_type: str
    token: str
    source: str  # "join response" | "fetched" | "refreshed"
    fetched_at: float  # monotonic seconds
    fetched_wall: float
    exp: float | None
    decode_error: str | None
    fetch_ms: float | None

    @property
    def masked(self) -> str:
        return mask(self.token)

    def __repr__(self) -> str:  # never the token itself
        return f"TokenSlot({self.token_type}, {self.masked}, {self.source})"


@dataclass(frozen=True)
class Ticket:
    token_type: str
    epoch: int


Fetch = Callable[[], Awaitable[str]]
OnChange = Callable[[str, "TokenSlot | None", str], None]


class TokenStore:
    def __init__(
        self,
        margin: float = 30.0,
        on_change: OnChange | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.margin = margin
        self._on_change = on_change or (lambda kind, slot, what: None)
        self._monotonic = monotonic
        self._wall = wall
        self._slots: dict[str, TokenSlot] = {}
        self._epochs: dict[str, int] = {}
        self._inflight: dict[str, asyncio.Task[TokenSlot]] = {}
        self.fetches = 0  # how many fetches actually went out (T3)

    def __repr__(self) -> str:  # slots mask their tokens
        slots = ", ".join(repr(slot) for slot in self._slots.values())
        return f"TokenStore([{slots}], epochs={self._epochs})"

    # -- reading --
    def get(self, kind: str) -> TokenSlot | None:
        return self._slots.get(kind)

    def slots(self) -> dict[str, TokenSlot]:
        return dict(self._slots)

    def expired(self, slot: TokenSlot) -> bool:
        return is_expired(slot.token, self._wall(), self.margin)

    # -- writing --
    def ticket(self, kind: str) -> Ticket:
        return Ticket(kind, self._epochs.get(kind, 0))

    def put(self, ticket: Ticket, token: str, source: str, fetch_ms: float | None = None) -> bool:
        """Store unless the ticket is stale. Returns whether it was stored."""
        if self._epochs.get(ticket.token_type, 0) != ticket.epoch:
            self._on_change(ticket.token_type, None, "dropped (stale)")
            return False
        try:
            exp, err = jwt_exp(token), None
        except ProtocolError as exc:
            exp, err = None, str(exc)
        slot = TokenSlot(
            ticket.token_type, token, source, self._monotonic(), self._wall(), exp, err, fetch_ms
        )
        self._slots[ticket.token_type] = slot
        self._on_change(ticket.token_type, slot, source)
        return True

    def invalidate(self, kind: str, why: str) -> None:
        """End this slot's epoch: clear it and drop whatever fetch is in flight for it."""
        self._epochs[kind] = self._epochs.get(kind, 0) + 1
        task = self._inflight.pop(kind, None)
        if task is not None:
            task.cancel()
        if self._slots.pop(kind, None) is not None:
            self._on_change(kind, None, f"cleared ({why})")

    def invalidate_all(self, why: str) -> None:
        for kind in set(self._slots) | set(self._epochs) | set(self._inflight):
            self.invalidate(kind, why)

    # -- obtaining --
    async def obtain(
        self, kind: str, fetch: Fetch, *, force: bool = False, failed: str | None = None
    ) -> TokenSlot:
        """A usable token: the cached one unless expired / forced / the one that just failed.

        `failed` is the token a request was refused with: if the slot already holds another
        one (someone refreshed meanwhile), that one is used and nothing is fetched.
        """
        slot = self._slots.get(kind)
        if slot is not None and not force:
            if failed is None and not self.expired(slot):
                return slot
            if failed is not None and slot.token != failed:
                return slot
        task = self._inflight.get(kind)
        if task is None:
            source = "refreshed" if slot is not None or failed is not None else "fetched"
            task = asyncio.get_running_loop().create_task(
                self._fetch(self.ticket(kind), fetch, source), name=f"token-fetch-{kind}"
            )
            self._inflight[kind] = task
            task.add_done_callback(lambda t, k=kind: self._forget(k, t))
        try:
            # shield: a waiter that gives up must not cancel the fetch the others share
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled() and not _current_task_cancelling():
                raise StaleTokenError(f"{kind} fetch dropped: meeting or role changed") from None
            raise

    async def _fetch(self, ticket: Ticket, fetch: Fetch, source: str) -> TokenSlot:
        self.fetches += 1
        started = time.perf_counter()
        token = await fetch()
        ms = (time.perf_counter() - started) * 1000
        if not self.put(ticket, token, source, ms):
            raise StaleTokenError(f"{ticket.token_type} fetch finished too late: dropped")
        return self._slots[ticket.token_type]

    def _forget(self, kind: str, task: asyncio.Task[TokenSlot]) -> None:
        if self._inflight.get(kind) is task:
            del self._inflight[kind]
        if not task.cancelled():
            task.exception()  # retrieved by waiters; never "exception was never retrieved"


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task and task.cancelling())
