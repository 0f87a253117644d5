"""Registration POST on a datachannel URL: token header, single 401/403 retry (PROTOCOL.md s. 3)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from app.core.answers import Registration, parse_registration
from app.core.http import Http, HttpError
from app.core.tokens import TokenSlot, TokenStore

AUTH_HEADER = "Data-Channel-Auth-Token"
AUTH_STATUSES = (401, 403)


class RegistrationRefused(Exception):
    """Refused twice with 401/403: give up with this (user-facing) message."""


@dataclass(frozen=True)
class Registered:
    registration: Registration
    ms: float
    token: TokenSlot | None
    retried: bool


async def register(
    http: Http,
    tokens: TokenStore,
    url: str,
    device_url: str,
    slot: TokenSlot | None,
    token_type: str,
    fetch: Callable[[], Awaitable[str]],
    retry_delay: float,
    on_refusal: Callable[[int, float], None] = lambda status, delay: None,
) -> Registered:
    """Register with `slot`; on 401/403 wait `retry_delay`, refresh the token, re-send once.

    Each request gets its own single retry; a refresh already done by someone else for the
    same failed token is reused instead of fetched again (TokenStore.obtain(failed=...)).
    `slot` None: the device's JWT feature is off, so no header and nothing to refresh
    (the SDK's token interceptor is off then too).
    """
    try:
        return await _post(http, url, device_url, slot, retried=False)
    except HttpError as exc:
        if exc.status not in AUTH_STATUSES:
            raise
        if slot is None:
            raise RegistrationRefused(
                f"registration refused (HTTP {exc.status}) and the device feature "
                "data-channel-with-jwt-token is off: no token to send, not retrying"
            ) from None
        on_refusal(exc.status, retry_delay)
        first = exc
    await asyncio.sleep(retry_delay)  # the protocol's wait, not a synchronisation guess
    slot = await tokens.obtain(token_type, fetch, failed=slot.token)
    try:
        return await _post(http, url, device_url, slot, retried=True)
    except HttpError as exc:
        if exc.status not in AUTH_STATUSES:
            raise
        raise RegistrationRefused(
            f"registration refused twice (HTTP {first.status}, then {exc.status}) "
            "even with a fresh token: giving up"
        ) from None


async def _post(
    http: Http, url: str, device_url: str, slot: TokenSlot | None, retried: bool
) -> Registered:
    result = await http.call(
        "register",
        "POST",
        url,
        body={"deviceUrl": device_url},
        headers={AUTH_HEADER: slot.token} if slot is not None else None,
    )
    return Registered(parse_registration(result.body), result.ms, slot, retried)
