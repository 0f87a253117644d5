"""Chaos tests: a resolver stub for every test (only loopback names resolve, so nothing
can leave the machine even by mistake; `.invalid` names fail as a real resolver would),
and the chaos budget's figures printed at the end of the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.chaos.netguard import ResolverStub, loopback_only

SUMMARY: list[str] = []  # lines for the terminal summary (sequences, checks, soak figures)


@pytest.fixture(autouse=True)
def resolver() -> Iterator[ResolverStub]:
    with loopback_only() as stub:
        yield stub


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("chaos and soak")
        for line in SUMMARY:
            terminalreporter.write_line(line)
