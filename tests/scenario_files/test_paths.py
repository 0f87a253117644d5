"""The expectation language: path resolution and the comparisons (pure, no sockets)."""

from __future__ import annotations

import pytest

from app.core.events import MeetingSnapshot
from app.scenario.model import Check
from app.scenario.paths import Missing, PathError, check, parse_path, resolve, sim_doc, snapshot_doc

DOC = {
    "channel": {"default": {"state": "online", "confirmed": ["transcription"], "rtt": 0.1}},
    "roles": ["ATTENDEE"],
    "sim": {"participants": [{"participantId": "P1"}, {"participantId": "P2"}]},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("channel.default.state", "online"),
        ("channel.default.confirmed.0", "transcription"),
        ("channel.default.confirmed.length", 1),
        ("sim.participants.-1.participantId", "P2"),
        ("sim.participants.length", 2),
        ("roles.length", 1),
        ("channel.default.state.length", 6),
    ],
)
def test_resolve(path: str, value: object) -> None:
    assert resolve(DOC, parse_path(path)) == value


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("channel.practice.state", "channel has no 'practice' (keys: default)"),
        ("sim.participants.5", "2 items"),
        ("sim.participants.first", "use an index or length"),
        ("channel.default.state.x", 'it is "online"'),
    ],
)
def test_missing_says_where(path: str, why: str) -> None:
    value = resolve(DOC, parse_path(path))
    assert isinstance(value, Missing) and why in value.why


@pytest.mark.parametrize(
    ("value", "op", "operand", "ok"),
    [
        ("online", "equals", "online", True),
        (1, "equals", 1.0, True),
        (0.1 * 3, "equals", 0.3, True),  # float arithmetic is not a mismatch
        (True, "equals", 1, False),  # but a boolean is not a number
        ([0, 0.05], "equals", [0, 0.05], True),
        ("online", "not_equals", "closed", True),
        (["transcription"], "contains", "transcription", True),
        ("Pong not received", "contains", "Pong", True),
        ({"a": 1}, "contains", "a", True),
        (3, "at_least", 3, True),
        (2, "at_least", 3, False),
        (2, "at_most", 3, True),
        ("3", "at_most", 3, False),  # no coercion
        (None, "exists", False, True),
        (Missing("x"), "exists", False, True),
        (0, "exists", True, True),
        (Missing("x"), "not_equals", 1, False),  # a missing value passes nothing else
    ],
)
def test_comparisons(value: object, op: str, operand: object, ok: bool) -> None:
    assert check(value, Check(op, operand), operand) is ok


@pytest.mark.parametrize(
    "text", ["", "channel..state", "channel.default.state;", "__import__('os')", "a b"]
)
def test_no_expressions_only_paths(text: str) -> None:
    with pytest.raises(PathError):
        parse_path(text)


def test_documents() -> None:
    doc = snapshot_doc(MeetingSnapshot(server="s", profile="test"))
    assert doc["channel"] is doc["channels"] and doc["badge"] == "Not joined"
    state = {
        "participants": [
            {"participantId": "P1", "tokens": [{"tokenType": "llm-default-session"}] * 2},
        ]
    }
    sim = sim_doc(state, "P1")
    assert sim["participant"]["issued"] == {"llm-default-session": 2, "llm-practice-session": 0}
    assert "participant" not in sim_doc(state, None)
