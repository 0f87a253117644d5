"""Issue 13: a manual session saved as a scenario runs and passes; one changed expectation
fails. The session is a real client against a real simulator, recorded with its actions
(a drop, a promotion, a token refusal), exactly as the window records one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.core.events import ChannelState
from app.core.meeting import MeetingClient
from app.core.settings import TEST
from app.core.watch import Watch
from app.scenario.actionlog import ActionSink, LoggedClient, LoggedSim
from app.scenario.from_session import Options, scenario_from_session
from app.scenario.loader import load_text
from app.scenario.recording import Recorder, load_session
from app.scenario.runner import RunOptions, run_scenario
from app.sim import SimControl, Simulator

T = 10.0


def _online(name: str):  # type: ignore[no-untyped-def]
    return lambda s: s.channel(name).state is ChannelState.ONLINE


async def record_manual_session(path: Path) -> None:
    async with Simulator() as sim, SimControl(sim.base_url) as raw_host:
        sink = ActionSink()
        host = LoggedSim(raw_host, sink)
        core = MeetingClient(sim.base_url, "user-token-from-session", TEST, "Tester")
        recorder = Recorder(core.hub, path, server=sim.base_url, profile="test", meeting="m1")
        sink.forward(recorder.action)
        client = LoggedClient(core, sink)
        watch = Watch(core.hub, core.snapshot)
        try:
            await host.create_meeting("m1", lobby=True, webinar=True)
            await host.transcription("m1", 20)
            await client.join("m1", "Tester")
            await watch.until(lambda s: s.badge == "Lobby", T, "lobby")
            await host.admit("m1", core.snapshot.participant_id)
            await watch.until(_online("default"), T, "default online")
            mark = watch.mark()
            await watch.event(lambda e: e.kind.value == "transcript", T, "captions", mark)
            client.drop("default", "reset")  # the drop
            mark = watch.mark()
            await watch.event(lambda e: e.kind.value == "online", T, "back online", mark)
            await host.practice_session("m1", True)
            await host.set_roles("m1", core.snapshot.participant_id, ["PANELIST"])  # promotion
            await watch.until(_online("practice"), T, "practice online")
            await watch.until(
                lambda s: "transcription" in s.channel("practice").confirmed, T, "sub"
            )
            await host.fault("token", "error", status=403, count=1)
            with pytest.raises(Exception, match="403"):  # the token refusal
                await client.refresh_token("llm-default-session")
            await client.leave()
            await watch.until(lambda s: s.badge == "Left", T, "left")
        finally:
            watch.close()
            await core.close()
            recorder.close()


async def test_saved_session_replays_and_passes_and_a_changed_copy_fails(tmp_path: Path) -> None:
    path = tmp_path / "manual.jsonl"
    await record_manual_session(path)
    session = load_session(path)
    names = [(a.source, a.name, a.ok) for a in session.actions]
    assert ("client", "drop", True) in names
    assert ("host", "roles", True) in names
    assert ("client", "refresh_token", False) in names

    text = scenario_from_session(session, Options(name="manual", meeting="replayed"))
    (tmp_path / "saved.toml").write_text(text)
    scenario = load_text(text, str(tmp_path / "saved.toml"))
    assert '{ drop = "default", how = "reset" }' in text
    assert '{ host = "roles", roles = ["PANELIST"] }' in text
    assert 'refresh_token = "llm-default-session", fails = "403"' in text
    assert '{ expect = "channel.practice.state", equals = "online" }' in text

    result = await run_scenario(scenario, RunOptions(profile="test"))
    assert result.passed, result.failure + "\n" + text

    # one expectation changed: the promotion's badge
    changed = re.sub(r'equals = "Practice session"', 'equals = "Lobby"', text, count=1)
    assert changed != text
    bad = await run_scenario(load_text(changed, "changed.toml"), RunOptions(profile="test"))
    assert not bad.passed
    assert 'badge equals "Lobby"' in bad.failure
