"""The runner must be able to say no: an edited copy with one expectation changed fails,
with the failing expectation, what was seen and the last snapshot in the message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import edited_copy, run_cli

CASES = [
    pytest.param(
        "a1_guest_admitted.toml",
        '{ expect = "sim.participant.channels.default.registrations", equals = 1 }',
        '{ expect = "sim.participant.channels.default.registrations", equals = 2, within = 0.5 }',
        13,
        [
            "expect sim.participant.channels.default.registrations equals 2 within 0.5 s",
            "not met within 0.5 s: sim.participant.channels.default.registrations is 1",
        ],
        id="sim-state",
    ),
    pytest.param(
        "r4_close_code_decisions.toml",
        '{ expect = "channel.default.state", equals = "replaced" }',
        '{ expect = "channel.default.state", equals = "closed", within = 0.5 }',
        6,
        [
            'expect channel.default.state equals "closed" within 0.5 s',
            'channel.default.state is "replaced"',
        ],
        id="snapshot",
    ),
    pytest.param(
        "r1_drop_1006_resubscribe.toml",
        'data = { action = "reconnect", by_client = false } }',
        'data = { action = "stay offline (permanent)", by_client = false }, within = 0.5 }',
        7,
        ["0 of 1 matching events since mark 'drop'", "near misses: #", '"action": "reconnect"'],
        id="event",
    ),
]


CASES.append(
    pytest.param(
        "b1_bad_input.toml",
        'fails = "HTTP 500"',
        'fails = "HTTP 502"',
        2,
        ['join (must fail: "HTTP 502")', "refused, but the message lacks 'HTTP 502'"],
        id="must-fail",
    )
)


@pytest.mark.parametrize(("name", "old", "new", "step", "says"), CASES)
def test_one_changed_expectation_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name, old, new, step, says
) -> None:
    copy = edited_copy(tmp_path, name, old, new)
    report = tmp_path / "report.json"
    assert run_cli(copy, "--report", report) == 1
    out = capsys.readouterr().out
    failing = next(line for line in out.splitlines() if " FAIL " in line)
    assert failing.split()[0] == str(step)
    for text in says:
        assert text in out, out
    assert "last snapshot: badge " in out
    assert f"{copy}: step {step} " in out  # the summary names file and step

    data = json.loads(report.read_text())
    assert data["passed"] is False and data["summary"]["failed"] == 1
    result = data["files"][0]
    assert result["status"] == "failed"
    steps = result["steps"]
    assert steps[step - 1]["status"] == "failed" and not steps[step - 1]["ok"]
    assert "last snapshot" in steps[step - 1]["message"]
    assert all(s["status"] == "passed" for s in steps[: step - 1])
    assert all(s["status"] == "skipped" for s in steps[step:])
    assert result["last_snapshot"]["badge"]  # the full snapshot is in the report
    assert result["sim_state"]["meetingId"]  # and the simulator's view of the meeting
