"""The benchmarks' floor pings at online, as PROTOCOL.md section 4 step 6 says (and dcmon, and
the SDK's socket-base.js `_authorize` -> `_ping()`, do); `first_ping=False` is the old floor."""

from __future__ import annotations

import asyncio

import pytest

from app.sim import SimControl, Simulator
from bench.common import USER_TOKEN
from bench.floor import FloorClient, admitted


@pytest.mark.parametrize("first_ping", [True, False])
def test_floor_first_ping_at_online(first_ping: bool) -> None:
    async def scenario() -> None:
        async with Simulator() as sim, SimControl(sim.base_url) as host:
            await host.create_meeting("floor-ping", lobby=True, webinar=True)
            client = FloorClient(sim.base_url, USER_TOKEN, first_ping=first_ping)
            try:
                await client.register_device()
                await client.open_device_socket()
                await client.join("floor-ping")
                await host.admit("floor-ping")
                locus = await client.wait_locus(admitted)
                token = await client.fetch_token()
                sock = await client.connect(
                    await client.register(locus["info"]["datachannelUrl"], token)
                )
                # connect() returns at online: the first ping is out and not answered yet
                assert (sock.first_ping is not None) is first_ping
                # a ping of its own still gets its own pong; the first one's is read on the way
                rtt_ns = await asyncio.wait_for(client.ping(sock), 10)
                assert rtt_ns > 0
                assert sock.first_ping is None
                await sock.ws.close(3050, "done (permanent)")
            finally:
                await client.leave()
                await client.close()

    asyncio.run(scenario())
