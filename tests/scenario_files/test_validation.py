"""Invalid files fail before anything runs, naming the file, the step and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scenario import ScenarioError, load_text
from app.scenario import runner as runner_module

from .helpers import SCENARIOS, run_cli

GOOD = 'setup = { profile = "test" }\nsteps = [\n  { join = true },\n  STEP,\n]\n'


def invalid(step: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_text(GOOD.replace("STEP", step), "f.toml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("step", "says"),
    [
        ('{ expct = "badge", equals = "Lobby" }', ["f.toml: step 2: no step type", "'expect'"]),
        ('{ expect = "badge", equal = "Lobby" }', ["step 2", "key 'equal'", "'equals'"]),
        ('{ expect = "badge" }', ["step 2", "needs a comparison", "equals"]),
        ('{ expect = "badge", equals = "x", within = "soon" }', ["key 'within'", "a number"]),
        ('{ expect = "chanel.default.state", equals = 1 }', ["unknown root", "'channel'"]),
        ('{ expect = "channel.defualt.state", equals = 1 }', ["unknown channel", "'default'"]),
        ('{ expect = "channel.default.stat", equals = 1 }', ["channel field", "'state'"]),
        ('{ expect = "token.llm-default-session.age", at_least = "old" }', ["a number"]),
        ('{ expect = "event", kind = "closd" }', ["key 'kind'", "'closed'"]),
        ('{ expect = "event", kind = "closed", since = "later" }', ["no earlier mark named"]),
        ('{ expect = "badge", equals = "x", meeting = "m2" }', ["only `sim.` paths"]),
        ('{ host = "admit", roles = ["PANELIST"] }', ["key 'roles'", "unknown key"]),
        ('{ host = "roles" }', ["key 'roles'", "is required"]),
        ('{ host = "promote" }', ["'promote' is not allowed"]),
        ('{ fault = "token", mode = "slow", delay_ms = 1.5 }', ["key 'delay_ms'", "integer"]),
        ('{ drop = "default", how = "explode" }', ["key 'how'", "close, reset, halfopen"]),
        ("{ leave = false }", ["write `leave = true`"]),
        ('{ host = "admit", fails = "x" }', ["key 'fails'", "unknown key"]),
        ('{ fault = "token", mode = "body" }', ["key 'body'", "is required"]),
        ('{ socket = "default", action = "send" }', ["key 'frame'", "is required"]),
        ("{ pause = -1 }", ["at least 0"]),
        ("{ join = true, leave = true }", ["one step, one type: found join and leave"]),
        ('{ socket = "default", action = "close", reason = "' + "x" * 130 + '" }', ["123 bytes"]),
    ],
)
def test_invalid_step_is_named(step: str, says: list[str]) -> None:
    message = invalid(step)
    for text in says:
        assert text in message, message


def test_not_toml_gives_line_and_column() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_text(
            'steps = [\n  { join = true },\n  { expect = "badge" equals = 1 },\n]\n', "x.toml"
        )
    assert str(caught.value).startswith("x.toml:3:")
    assert "not valid TOML" in str(caught.value)


def test_steps_after_a_setup_header_are_explained() -> None:
    with pytest.raises(ScenarioError, match=r"ended up inside \[setup\]"):
        load_text('[setup]\nprofile = "test"\nsteps = [ { join = true } ]\n', "s.toml")


def test_unknown_top_level_and_setup_keys() -> None:
    with pytest.raises(ScenarioError, match=r"key 'stesp'.*'steps'"):
        load_text("stesp = []\nsteps = [ { join = true } ]\n", "t.toml")
    with pytest.raises(
        ScenarioError,
        match=r"t.toml: \[setup\]: key 'profle': unknown key \(did you mean 'profile'\?\)",
    ):
        load_text('setup = { profle = "test" }\nsteps = [ { join = true } ]\n', "t.toml")
    with pytest.raises(ScenarioError, match="'fast' is not allowed"):
        load_text('setup = { profile = "fast" }\nsteps = [ { join = true } ]\n', "t.toml")


def test_every_shipped_file_validates() -> None:
    assert run_cli(SCENARIOS, "--check") == 0


def test_cli_exits_2_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("nothing may run when a file is invalid")

    monkeypatch.setattr(runner_module, "run_scenario", must_not_run)
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("STEP", '{ expect = "badge", equal = "Lobby" }'))
    broken = tmp_path / "broken.toml"
    broken.write_text("steps = [\n")
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    code = run_cli(
        SCENARIOS / "a1_guest_admitted.toml", bad, broken, "--report", report, "--junit", junit
    )
    assert code == 2
    err = capsys.readouterr().err
    assert f"{bad}: step 2 (expect): key 'equal': unknown key (did you mean 'equals'?)" in err
    assert f"{broken}:" in err and "not valid TOML" in err
    assert "2 invalid; nothing was run" in err
    assert '"status": "error"' in report.read_text() and "<error" in junit.read_text()


def test_missing_file_is_invalid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(tmp_path / "nope.toml") == 2
    assert "cannot read" in capsys.readouterr().err
