"""Every test here runs with a resolver stub: only loopback names resolve, so nothing can
leave the machine even by mistake (names under `.invalid` fail as a real resolver would)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.chaos.netguard import ResolverStub, loopback_only


@pytest.fixture(autouse=True)
def resolver() -> Iterator[ResolverStub]:
    with loopback_only() as stub:
        yield stub
