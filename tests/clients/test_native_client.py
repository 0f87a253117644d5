"""The native core through the client interface, against the real simulator on loopback,
and the verdict rules (judging) that make a scenario client-neutral."""

from __future__ import annotations

from app.clients.factory import make_client
from app.clients.interface import Client, Command, UnsupportedCommand
from app.clients.native import NativeClient
from app.clients.sdk_translate import SDK_CAPABILITIES
from app.core.events import ChannelState, EventKind
from app.core.settings import TEST
from app.core.watch import Watch
from app.scenario import load_text, run_scenario
from app.scenario.judging import judge
from app.scenario.results import Status
from app.sim import SimControl, Simulator

T = 5.0


async def test_native_client_joins_is_admitted_and_drops_through_the_interface(
    sim: Simulator, host: SimControl
) -> None:
    client = make_client("native", sim.base_url, "user-token-0123456789", TEST, "Guest")
    assert isinstance(client, NativeClient) and isinstance(client, Client)
    assert client.kind == "native" and client.label.startswith("dcmon core")
    watch = Watch(client.hub, client.snapshot)
    try:
        await host.create_meeting("m-native", lobby=True, webinar=False)
        await client.join("m-native")
        await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
        await host.admit("m-native", client.snapshot.participant_id)
        await watch.until(
            lambda s: "transcription" in s.channel("default").confirmed, T, "default subscribed"
        )
        mark = watch.mark()
        assert client.drop("default", "reset") is None  # synchronous: never yields (R2)
        await watch.event(
            lambda e: e.kind is EventKind.ONLINE and e.channel == "default" and e.data["again"],
            T,
            "reconnected",
            since=mark,
        )
        slot = await client.refresh_token("llm-default-session")
        assert slot.source == "refreshed"
        try:
            await client.captions(False)
        except UnsupportedCommand as exc:
            assert exc.command == Command.CAPTIONS
        else:
            raise AssertionError("the core has no captions command")
        await client.leave()
        assert client.snapshot.badge == "Left"
        assert client.snapshot.channel("default").state is ChannelState.OFFLINE
    finally:
        watch.close()
        await client.close()


FILE = """
name = "X1 mixed"
setup = { lobby = false, webinar = false, profile = "test" }
steps = [
  { join = true },
  { expect = "channel.default.state", equals = "online" },
  { expect = "channel.default.confirmed", contains = "transcription" },
  { expect = "event", kind = "online", channel = "default" },
  { expect = "channel.default.attempt", equals = 0 },
  { expect = "sim.participant.channels.default.registrations", equals = 1 },
]
"""


async def test_native_run_reports_its_client_and_passes() -> None:
    result = await run_scenario(load_text(FILE, "x1.toml"))
    assert result.status is Status.PASSED, result.failure
    assert result.client == "native" and result.client_label.startswith("dcmon core")
    assert result.to_json()["client"] == "native"


def test_sdk_judging_sim_paths_hold_client_fields_are_not_judged() -> None:
    steps = load_text(FILE, "x1.toml").steps
    verdicts = [judge(s, SDK_CAPABILITIES) for s in steps]
    assert verdicts[0].why is None  # join: the SDK can
    assert verdicts[1].why is None  # state: the SDK's own socket events tell it
    assert verdicts[2].why is None  # confirmed: the driver reports the server's answer
    assert verdicts[4].why and verdicts[4].step is None  # attempt: mercury keeps it to itself
    assert verdicts[5].why is None  # the simulator's view: judged for every client


def test_sdk_judging_keeps_the_knowable_part_of_an_event_filter() -> None:
    text = """
steps = [
  { expect = "event", kind = "closed", data = { by_client = false, code = 1006 } },
  { expect = "sequence", events = [
    { kind = "online", channel = "default" }, { kind = "retry" } ] },
  { refresh_token = "llm-default-session" },
]
"""
    closed, sequence, refresh = (
        judge(s, SDK_CAPABILITIES) for s in load_text(text, "x.toml").steps
    )
    assert closed.partial and "closed.by_client" in (closed.why or "")
    assert dict(closed.step.filter.data) == {"code": 1006}  # type: ignore[union-attr]
    assert sequence.partial and len(sequence.step.filters) == 1  # type: ignore[union-attr]
    assert refresh.why and refresh.step is None
