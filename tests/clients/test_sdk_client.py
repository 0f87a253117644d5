"""The real webex SDK (the Node driver in sdkclient/) as a client under test, against the real
simulator on loopback: `join --client sdk`, and scenario files run with the SDK client.

Needs Node 20+ and the driver's node_modules (`npm ci` in sdkclient/, which `make test`
does); without them these tests fail with the install line, they do not skip."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from app.clients.sdk_setup import driver_home, find_node
from app.scenario import RunOptions, load_file, load_text, run_scenario
from app.scenario.results import Status
from app.sim import SimControl, Simulator

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
SDK = RunOptions(client="sdk")


def _driver_ready() -> None:
    find_node()
    assert driver_home().installed, "sdkclient/node_modules missing: `cd sdkclient && npm ci`"


def _step(result, index: int):  # type: ignore[no-untyped-def]
    return next(s for s in result.steps if s.index == index)


async def test_r1_on_3_12_0_reconnects_but_never_resubscribes() -> None:
    _driver_ready()
    result = await run_scenario(load_file(SCENARIOS / "r1_drop_1006_resubscribe.toml"), SDK)
    assert result.client == "sdk" and result.client_version == "3.12.0"
    assert result.status is Status.FAILED
    # the close is seen; what the SDK decided comes on its own line: not judged, never passed
    assert _step(result, 7).status is Status.NOT_JUDGED
    assert _step(result, 8).status is Status.PASSED  # reconnected once (mercury, same URL)
    assert _step(result, 9).status is Status.PASSED  # online again
    failed = _step(result, 10)  # ...without re-sending subchannelSubscriptionRequest
    assert failed.status is Status.FAILED and "confirmed is []" in failed.message
    assert result.to_json()["client_version"] == "3.12.0"


async def test_a1_on_3_12_0_registers_without_a_token_and_gets_401() -> None:
    _driver_ready()
    result = await run_scenario(load_file(SCENARIOS / "a1_guest_admitted.toml"), SDK)
    assert result.status is Status.FAILED
    assert _step(result, 7).status is Status.PASSED  # Admitted
    assert _step(result, 8).status is Status.FAILED  # default never online
    refused = [
        e
        for e in result.timeline
        if e["channel"] == "default" and e["kind"] == "http" and e["data"].get("status") == 401
    ]
    assert refused and refused[0]["data"]["token_sent"] is False


DIRECT = """
name = "X2 direct join with the SDK"
setup = { lobby = false, webinar = false, profile = "test" }
steps = [
  { host = "transcription", per_second = 20 },
  { join = true },
  { expect = "channel.default.state", equals = "online", within = 15 },
  { expect = "event", kind = "transcript", channel = "default", within = 10 },
  { expect = "sim.participant.channels.default.sockets.length", equals = 1 },
  { expect = "channel.default.state", equals = "registering", within = 0 },
  { refresh_token = "llm-default-session" },
  { leave = true },
]
"""


async def test_direct_join_is_captioned_and_what_the_sdk_cannot_do_is_not_judged() -> None:
    _driver_ready()
    result = await run_scenario(load_text(DIRECT, "x2.toml"), SDK)
    statuses = [s.status for s in result.steps]
    assert statuses[:5] == [Status.PASSED] * 5, result.failure
    assert statuses[5] is Status.NOT_JUDGED  # dcmon's reconciler state: no SDK equivalent
    assert statuses[6] is Status.NOT_JUDGED  # no SDK call refreshes a datachannel token
    assert statuses[7] is Status.SKIPPED  # after an action not done, nothing is judged
    assert result.status is Status.NOT_JUDGED and not result.passed


async def test_join_client_sdk_prints_the_sdks_own_timeline() -> None:
    _driver_ready()
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        await host.create_meeting("cli-sdk", lobby=False, webinar=False)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "app",
            "join",
            "--server",
            sim.base_url,
            "--meeting",
            "cli-sdk",
            "--client",
            "sdk",
            "--json",
            "--duration",
            "4",
            cwd=str(ROOT),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        out, err = await asyncio.wait_for(proc.communicate(), 90)
        assert proc.returncode == 0, err.decode()[-2000:]
        lines = [json.loads(x) for x in out.decode().splitlines() if x.startswith("{")]
        events = [x for x in lines if x["type"] == "event"]
        summaries = [e["summary"] for e in events]
        assert any("SDK driver ready: webex 3.12.0" in s for s in summaries)
        assert any(e["channel"] == "default" and e["kind"] == "online" for e in events)
        snaps = [x for x in lines if x["type"] == "snapshot"]
        assert any(s["channels"]["default"]["state"] == "online" for s in snaps)
        # the user token never shows in full
        assert "dcmon-demo-user" not in out.decode() + err.decode()
        state = await host.state("cli-sdk")
        assert state["participants"][0]["phase"] == "left"  # it left when the duration ended


async def test_direct_join_captions_then_a_1006_drop_reconnects_and_captions_stop() -> None:
    """No lobby: the token comes in the join answer, the default channel goes online and
    captions flow. A reset (1006 on the SDK's side): it reconnects, and captions stop. A
    native client in the same meeting is the witness that captions kept being sent."""
    from app.clients.factory import make_client
    from app.core.events import EventKind
    from app.core.settings import TEST
    from app.core.watch import Watch

    _driver_ready()
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        await host.create_meeting("drop-sdk", lobby=False, webinar=False)
        await host.transcription("drop-sdk", 20)
        sdk = make_client("sdk", sim.base_url, "dcmon-demo-user", TEST, "SDK", sim=host)
        witness = make_client("native", sim.base_url, "witness-token-123", TEST, "Witness")
        sdk_watch, witness_watch = Watch(sdk.hub, sdk.snapshot), Watch(witness.hub)

        def transcript(e):  # type: ignore[no-untyped-def]
            return e.kind is EventKind.TRANSCRIPT and e.channel == "default"

        try:
            await sdk.join("drop-sdk")
            await sdk_watch.event(transcript, 20, "SDK captions")
            assert sdk.snapshot.tokens["llm-default-session"].source == "join response"
            await witness.join("drop-sdk")
            await witness_watch.event(transcript, 10, "witness captions")
            pid = sdk.snapshot.participant_id
            mark = sdk_watch.mark()
            await host.socket("drop-sdk", "default", "reset", participant_id=pid)
            closed = await sdk_watch.event(
                lambda e: e.kind is EventKind.CLOSED and e.channel == "default", 10, "closed", mark
            )
            assert closed.data["code"] == 1006
            await sdk_watch.event(
                lambda e: e.kind is EventKind.ONLINE and e.data.get("again"), 10, "reconnect", mark
            )
            assert sdk.snapshot.channel("default").reconnects == 1
            after, seen = sdk_watch.mark(), witness_watch.mark()
            await witness_watch.count(transcript, 10, 15, "captions still sent", since=seen)
            assert not [e for e in sdk_watch.events[after:] if transcript(e)]  # they stopped
            state = await host.state("drop-sdk")
            mine = next(p for p in state["participants"] if p["participantId"] == pid)
            assert [s["subscriptions"] for s in mine["channels"]["default"]["sockets"]] == [[]]
        finally:
            sdk_watch.close()
            witness_watch.close()
            await witness.close()
            await sdk.close()
