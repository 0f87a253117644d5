"""Shared fixtures: a real simulator on loopback per test, its control client, core clients."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from collections.abc import AsyncIterator, Callable

import pytest

from app.core.meeting import MeetingClient
from app.core.settings import TEST, Settings
from app.core.watch import Watch
from app.sim import SimControl, Simulator

USER_TOKEN = "test-user-token-0123456789"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as s:
        yield s


@pytest.fixture
async def host(sim: Simulator) -> AsyncIterator[SimControl]:
    async with SimControl(sim.base_url) as control:
        yield control


@pytest.fixture
async def make_client(sim: Simulator) -> AsyncIterator[Callable[..., tuple[MeetingClient, Watch]]]:
    """Clients on the test profile; every one is closed (left, sockets shut) at teardown."""
    made: list[tuple[MeetingClient, Watch]] = []

    def make(settings: Settings = TEST, name: str = "Guest") -> tuple[MeetingClient, Watch]:
        client = MeetingClient(sim.base_url, USER_TOKEN, settings, display_name=name)
        watch = Watch(client.hub, client.snapshot)
        made.append((client, watch))
        return client, watch

    yield make
    for client, watch in made:
        watch.close()
        await client.close()
