"""The generator and the step text form (pure), and delta debugging on a synthetic bug."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.chaos.shrink import ddmin
from app.chaos.steps import (
    KNOWN,
    Step,
    StepSyntaxError,
    format_steps,
    generate,
    lobby_of,
    parse_step,
    parse_steps,
    replay,
)


@given(st.integers(min_value=0, max_value=2**32))
def test_generation_is_deterministic_and_round_trips_through_text(seed: int) -> None:
    a, b = generate(seed), generate(seed)
    assert a == b
    assert a.lobby == lobby_of(seed)
    assert a.steps[0].name == "join"
    assert 5 <= len(a.steps) <= 12
    again = replay(seed, format_steps(list(a.steps)))
    assert again == a
    for step in a.steps:
        assert step.name in KNOWN and len(step.args) == KNOWN[step.name]
        assert 0 <= step.delay_ms <= 60


def test_step_text_form() -> None:
    step = Step("close", ("default", "1000", "pong not received"), 20)
    assert step.text() == "close:default:1000:pong_not_received/20"
    assert parse_step(step.text()) == step
    assert parse_steps("join, admit/5  settle") == [
        Step("join"),
        Step("admit", (), 5),
        Step("settle"),
    ]


@pytest.mark.parametrize("bad", ["explode", "close:default", "admit/x", "rotate"])
def test_bad_step_text_is_a_clear_error(bad: str) -> None:
    with pytest.raises(StepSyntaxError):
        parse_step(bad)


def test_the_generator_covers_every_kind_of_step() -> None:
    seen = {s.name for seed in range(400) for s in generate(seed).steps}
    assert seen == set(KNOWN)


async def test_ddmin_finds_the_two_steps_that_matter() -> None:
    steps = [Step("admit", (), i) for i in range(12)]
    culprit = {steps[3], steps[9]}
    runs = 0

    async def fails(candidate: list[Step]) -> bool:
        nonlocal runs
        runs += 1
        return culprit <= set(candidate)

    minimal, used = await ddmin(steps, fails)
    assert set(minimal) == culprit
    assert used == runs < 60
