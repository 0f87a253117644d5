"""Smoke tests of the benchmarks (bench/): each runs once with a tiny budget so none can rot.

They check that every benchmark still runs end to end and reports numbers; they judge no
target (that is `make bench`, on a quiet machine). The whole directory runs in under 20 s.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bench_smoke: runs one benchmark with the smoke budget (tests/bench)"
    )
