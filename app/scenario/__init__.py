"""Scenario files: a small TOML format that drives the real core against the simulator.

`load_file` validates a file into a `Scenario` (nothing runs on an invalid file);
`run_scenario` runs one against an embedded simulator or a `--server`; `report` writes the
JSON report and JUnit XML; `recording` is the JSONL session format. Pure asyncio, no Qt:
the window calls the same functions. The format is documented in docs/SCENARIOS_FORMAT.md.

Names are imported on first use, so `app.cli` can import `app.scenario.cli` for --help
without pulling in the core and the simulator.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load_file": "app.scenario.loader",
    "load_text": "app.scenario.loader",
    "ScenarioError": "app.scenario.loader",
    "Scenario": "app.scenario.model",
    "ScenarioResult": "app.scenario.results",
    "StepResult": "app.scenario.results",
    "Status": "app.scenario.results",
    "Attached": "app.scenario.runner",
    "RunHooks": "app.scenario.runner",
    "RunOptions": "app.scenario.runner",
    "RunInfo": "app.scenario.runner",
    "run_scenario": "app.scenario.runner",
    "Recorder": "app.scenario.recording",
    "load_session": "app.scenario.recording",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'app.scenario' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
