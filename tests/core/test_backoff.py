"""The reconnect schedule (R6): first retry at once, then 1, 2, 4 ... 32 s."""

import pytest

from app.core.backoff import Backoff
from app.core.settings import SDK, TEST, profile


def test_sdk_schedule() -> None:
    b = Backoff(SDK.backoff_reset, SDK.backoff_max, SDK.backoff_factor)
    assert b.schedule(9) == [0, 1, 2, 4, 8, 16, 32, 32, 32]


def test_retry_cap() -> None:
    b = Backoff(1, 32, 2, max_retries=3)
    assert b.schedule(10) == [0, 1, 2]
    assert b.delay(4) is None


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError):
        Backoff().delay(0)


def test_profiles() -> None:
    assert profile("sdk") is SDK and profile("test") is TEST
    assert SDK.ping_interval == 15 and SDK.pong_timeout == 14 and SDK.force_close_delay == 2
    with pytest.raises(ValueError, match="unknown profile"):
        profile("fast")
