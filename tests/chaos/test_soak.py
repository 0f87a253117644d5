"""Soak: the demo profile under churn (drops every few seconds, token expiry, promotion
flapping), time compressed; task count, open sockets and RSS must stay flat.

The default run has a tiny one (half a simulated minute) so the soak cannot rot;
`make soak` runs 30 simulated minutes (`pytest -m soak` runs SOAK_MINUTES)."""

from __future__ import annotations

import os

import pytest

from app.chaos.soak import soak

from .conftest import SUMMARY


@pytest.mark.timeout(120)
async def test_tiny_soak_stays_flat() -> None:
    result = await soak(sim_minutes=0.5, factor=10.0)
    SUMMARY.append(result.report())
    assert sum(n for k, n in result.churn.items() if k.startswith("drops")) >= 3
    assert result.flat, result.report()


@pytest.mark.soak
@pytest.mark.timeout(0)
async def test_long_soak_stays_flat() -> None:
    result = await soak(sim_minutes=float(os.environ.get("SOAK_MINUTES", "30")), factor=10.0)
    SUMMARY.append(result.report())
    assert result.flat, result.report()
