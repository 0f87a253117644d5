"""8. The SDK client (sdkclient/: the real webex 3.12.0 in a Node driver) against the floor,
for information (issue 14): no targets, the SDK is what it is.

Against one in-process simulator, in the same run, alternating SDK / floor repetitions:

- driver start-up: `SdkClient.start()` (spawn node with the driver, its `ready` line, then
  `start`: webex instance, catalog, device registration, mercury online) vs an empty Node
  process (`node -e 0`, spawn -> exit) as the floor;
- admit -> default data channel online, with the JWT feature toggle off (PROTOCOL.md s. 3:
  3.12.0 fetches no datachannel token after a lobby admit, so with the toggle on it never
  comes online; with it off the simulator takes a registration without the token header)
  vs the floor's admit -> online (bench/floor.py, same toggle);
- drop (the simulator resets the socket: 1006) -> default online again vs the floor's
  immediate reconnect; online only: 3.12.0 does not resubscribe after a reconnect (#4818);
- with the toggle on (the default): admit -> the registration refused (401), the SDK's
  known 3.12.0 behaviour, timed so a change in it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from bench.common import USER_TOKEN, Budget, median, ms, progress, summary
from bench.floor import FloorChannel, FloorClient, Stamps, admit_to_subscribed, admitted
from bench.report import Result, Row

NAME = "sdk_client"
TITLE = "SDK client (webex 3.12.0 driver) vs the floor (info)"
WAIT_S = 15.0


class SdkSide:
    """One SDK client: started (timed), joined to a lobby meeting, admitted (timed)."""

    def __init__(self, sim: Any, host: Any) -> None:
        self.sim, self.host = sim, host
        self.client: Any = None
        self._waiters: list[tuple[Any, asyncio.Future[int]]] = []

    def _on_event(self, e: Any) -> None:
        now = time.perf_counter_ns()
        for pred, fut in list(self._waiters):
            if not fut.done() and pred(e):
                fut.set_result(now)

    def expect(self, pred: Any) -> asyncio.Future[int]:
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters.append((pred, fut))
        return fut

    async def start(self) -> float:
        from app.clients.factory import make_client

        self.client = make_client("sdk", self.sim.base_url, USER_TOKEN, sim=self.host)
        self.client.hub.on_event(self._on_event)
        t0 = time.perf_counter_ns()
        await asyncio.wait_for(self.client.start(), 60)
        return ms(time.perf_counter_ns() - t0)

    async def admit(self, meeting: str, until: Any) -> float:
        """Join `meeting` (a lobby), admit it, time until an event matches `until`."""
        from app.core.events import EventKind

        lobby = self.expect(lambda e: e.kind is EventKind.PHASE and "lobby" in e.summary)
        await self.client.join(meeting)
        await asyncio.wait_for(lobby, WAIT_S)
        done = self.expect(until)
        t0 = time.perf_counter_ns()
        await self.host.admit(meeting)
        return ms(await asyncio.wait_for(done, WAIT_S) - t0)

    async def drop(self, meeting: str) -> float:
        done = self.expect(_default_online_again)
        t0 = time.perf_counter_ns()
        await self.host.socket(meeting, "default", "reset")
        return ms(await asyncio.wait_for(done, WAIT_S) - t0)

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.client.close(), 20)


def _default_online(e: Any) -> bool:
    from app.core.events import EventKind

    return e.channel == "default" and e.kind is EventKind.ONLINE


def _default_online_again(e: Any) -> bool:
    return _default_online(e) and "reconnect" in e.summary


def _registration_refused(e: Any) -> bool:
    from app.core.events import EventKind

    return (
        e.channel == "default" and e.kind is EventKind.HTTP and e.data.get("status") in (401, 403)
    )


async def node_floor(node: str) -> float:
    """An empty Node process, spawn -> exit."""
    t0 = time.perf_counter_ns()
    proc = await asyncio.create_subprocess_exec(node, "-e", "0")
    await asyncio.wait_for(proc.wait(), 30)
    return ms(time.perf_counter_ns() - t0)


async def floor_admit(sim: Any, host: Any, meeting: str) -> float:
    """The floor: joined in the lobby, admit -> its default channel online."""
    await host.create_meeting(meeting, lobby=True, webinar=True)
    client = FloorClient(sim.base_url, USER_TOKEN)
    sock = None
    try:
        await client.register_device()
        await client.open_device_socket()
        await client.join(meeting)
        stamps = Stamps()
        t0 = time.perf_counter_ns()
        await host.admit(meeting)
        sock = await admit_to_subscribed(client, stamps)
        return ms(stamps.marks["online"] - t0)
    finally:
        if sock is not None:
            with contextlib.suppress(Exception):
                await sock.ws.close(3050, "done (permanent)")
        await client.leave()
        await client.close()


async def floor_drops(sim: Any, host: Any, meeting: str, n: int) -> list[float]:
    """The floor's default channel reset n times: reset -> online again."""
    await host.create_meeting(meeting, lobby=True, webinar=True)
    client = FloorClient(sim.base_url, USER_TOKEN)
    await client.register_device()
    await client.open_device_socket()
    await client.join(meeting)
    await host.admit(meeting)
    locus = await client.wait_locus(admitted)
    dc_url = locus["info"]["datachannelUrl"]
    ws_url = await client.register(dc_url, await client.fetch_token())
    channel = FloorChannel(client, dc_url, ws_url)
    waiter: list[asyncio.Future[int]] = []

    def online(stamp: int) -> None:
        if waiter and not waiter[-1].done():
            waiter[-1].set_result(stamp)

    channel.on_online.append(online)
    channel.start()
    out: list[float] = []
    try:
        await asyncio.wait_for(channel.online.wait(), WAIT_S)
        for _ in range(n):
            await asyncio.sleep(0.05)  # the previous reconnect's subscription settles
            waiter.append(asyncio.get_running_loop().create_future())
            t0 = time.perf_counter_ns()
            await host.socket(meeting, "default", "reset")
            out.append(ms(await asyncio.wait_for(waiter[-1], WAIT_S) - t0))
    finally:
        await channel.stop()
        await client.leave()
        await client.close()
    return out


async def measure(budget: Budget) -> Result:
    from app.clients.sdk_setup import find_node
    from app.sim import SimControl, Simulator

    node = find_node()  # SetupError with the install line when Node is missing
    reps = budget.pick(5, 2, 1)
    drops = budget.pick(8, 3, 1)
    sdk: dict[str, list[float]] = {"start": [], "admit": [], "drop": [], "refused": []}
    floor: dict[str, list[float]] = {"start": [], "admit": [], "drop": []}
    sdk_version: str | None = None
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        await host.features(False)  # see the docstring: the SDK's only way online after admit
        for i in range(reps):
            sides = ("sdk", "floor") if i % 2 == 0 else ("floor", "sdk")
            for side in sides:
                if side == "floor":
                    floor["start"].append(await node_floor(node))
                    floor["admit"].append(await floor_admit(sim, host, f"sdkb-f{i}"))
                    continue
                s = SdkSide(sim, host)
                try:
                    sdk["start"].append(await s.start())
                    sdk_version = s.client.version
                    await host.create_meeting(f"sdkb-s{i}", lobby=True, webinar=True)
                    sdk["admit"].append(await s.admit(f"sdkb-s{i}", _default_online))
                    if i == reps - 1:
                        for _ in range(drops):
                            await asyncio.sleep(0.05)
                            sdk["drop"].append(await s.drop(f"sdkb-s{i}"))
                finally:
                    await s.close()
            progress(
                f"sdk_client: {i + 1}/{reps}: start {median(sdk['start']):.0f} ms "
                f"(node {median(floor['start']):.0f}), admit -> online "
                f"{median(sdk['admit']):.1f} ms (floor {median(floor['admit']):.1f})"
            )
        floor["drop"] = await floor_drops(sim, host, "sdkb-fdrop", drops)
        await host.features(True)  # the default: 3.12.0's registration after admit is refused
        s = SdkSide(sim, host)
        try:
            await s.start()
            await host.create_meeting("sdkb-jwt", lobby=True, webinar=True)
            sdk["refused"].append(await s.admit("sdkb-jwt", _registration_refused))
        finally:
            await s.close()
    version = "webex " + (sdk_version or "?")
    return Result(
        NAME,
        TITLE,
        [
            Row(
                NAME,
                f"driver start-up ({version}: spawn -> webex, device, mercury online), "
                f"median of {reps}",
                median(sdk["start"]),
                median(floor["start"]),
                note="floor: an empty Node process (node -e 0)",
            ),
            Row(
                NAME,
                f"admit -> default online, JWT feature off, median of {reps}",
                median(sdk["admit"]),
                median(floor["admit"]),
                note="floor: bench/floor.py admit -> online, same simulator and toggle",
            ),
            Row(
                NAME,
                f"drop (reset, 1006) -> default online, median of {drops}",
                median(sdk["drop"]),
                median(floor["drop"]),
                note="online only: 3.12.0 does not resubscribe after a reconnect (#4818)",
            ),
            Row(
                NAME,
                "JWT feature on (default): admit -> registration refused",
                median(sdk["refused"]),
                note="3.12.0 fetches no token after a lobby admit: 401, never online",
            ),
        ],
        {
            "sdk_ms": {k: summary(v) for k, v in sdk.items()},
            "floor_ms": {k: summary(v) for k, v in floor.items()},
            "raw_sdk_ms": sdk,
            "raw_floor_ms": floor,
        },
    )


def run(budget: Budget) -> Result:
    return asyncio.run(measure(budget))
