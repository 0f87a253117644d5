"""Token store: JWT exp, masking, epochs (A3, P2), single-flight refresh (T3), slots (T4)."""

import asyncio
import base64
import json
import time

import pytest

from app.core.protocol import ProtocolError
from app.core.tokens import StaleTokenError, TokenStore, is_expired, jwt_exp, mask


def jwt(exp=None, **claims) -> str:
    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    payload = dict(claims)
    if exp is not None:
        payload["exp"] = exp
    return f"{b64({'alg': 'HS256'})}.{b64(payload)}.c2lnbmF0dXJl"


def test_exp_decoding_and_expiry_margin() -> None:
    now = 1_000_000.0
    assert jwt_exp(jwt(now + 100)) == now + 100
    assert not is_expired(jwt(now + 31), now)
    assert is_expired(jwt(now + 29), now)  # within 30 s counts as expired (T1)
    assert not is_expired(jwt(), now)  # no exp: never expired
    assert is_expired("not-a-jwt", now)  # undecodable counts as expired
    with pytest.raises(ProtocolError):
        jwt_exp("a.b")
    with pytest.raises(ProtocolError):
        jwt_exp("a.!!!.c")
    with pytest.raises(ProtocolError):
        jwt_exp(jwt(exp="soon"))


def test_mask_never_shows_the_token() -> None:
    token = jwt(time.time() + 100, sub="someone")
    masked = mask(token)
    assert token not in masked and len(masked) <= 8
    assert mask(None) == "-" and "abc" not in mask("abcdefgh")


async def test_late_fetch_after_invalidate_is_not_stored() -> None:
    store = TokenStore()
    release = asyncio.Event()

    async def slow_fetch() -> str:
        await release.wait()
        return jwt(time.time() + 3600)

    waiter = asyncio.create_task(store.obtain("llm-default-session", slow_fetch))
    await asyncio.sleep(0)
    store.invalidate_all("left")  # leave while the fetch is in flight (A3)
    release.set()
    with pytest.raises(StaleTokenError):
        await waiter
    assert store.get("llm-default-session") is None


async def test_put_with_stale_ticket_is_dropped() -> None:
    store = TokenStore()
    ticket = store.ticket("llm-practice-session")
    store.invalidate("llm-practice-session", "demoted")
    assert store.put(ticket, jwt(time.time() + 60), "fetched") is False
    assert store.get("llm-practice-session") is None


async def test_one_refresh_serves_concurrent_failures() -> None:
    store = TokenStore()
    calls = 0
    old = jwt(time.time() + 3600, n=0)
    store.put(store.ticket("k"), old, "fetched")

    async def fetch() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        return jwt(time.time() + 3600, n=calls)

    a, b = await asyncio.gather(
        store.obtain("k", fetch, failed=old), store.obtain("k", fetch, failed=old)
    )
    assert calls == 1 and a.token == b.token != old
    # a third request that failed with the old token reuses the refreshed one
    c = await store.obtain("k", fetch, failed=old)
    assert calls == 1 and c.token == a.token


async def test_each_type_has_its_own_slot() -> None:
    store = TokenStore()
    t1, t2 = jwt(time.time() + 60, t=1), jwt(time.time() + 60, t=2)
    store.put(store.ticket("llm-default-session"), t1, "fetched")
    store.put(store.ticket("llm-practice-session"), t2, "fetched")
    assert store.get("llm-default-session").token == t1
    assert store.get("llm-practice-session").token == t2
    assert t1 not in repr(store.get("llm-default-session"))
