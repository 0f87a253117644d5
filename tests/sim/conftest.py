from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # sim_helpers, whatever the import mode

from sim_helpers import USER, Guest

from app.sim import SimControl, Simulator


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
async def ctl(sim: Simulator) -> AsyncIterator[SimControl]:
    async with SimControl(sim.base_url) as control:
        yield control


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {USER}"}
    async with httpx.AsyncClient(
        base_url=sim.base_url, headers=headers, trust_env=False, timeout=5
    ) as client:
        yield client


@pytest.fixture
async def guest_factory(http: httpx.AsyncClient) -> AsyncIterator[Callable[[], Guest]]:
    guests: list[Guest] = []

    def make() -> Guest:
        guests.append(Guest(http))
        return guests[-1]

    yield make
    for guest in guests:
        await guest.close()
