"""Shared bits of the scenario-file tests: where the files are, and running the CLI in-process."""

from __future__ import annotations

from pathlib import Path

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
ROWS = [
    f"{group}{n}"
    for group, count in (("a", 6), ("p", 6), ("r", 6), ("t", 4))
    for n in range(1, count + 1)
]


def scenario_files() -> list[Path]:
    return sorted(SCENARIOS.glob("*.toml"))


def edited_copy(tmp: Path, name: str, old: str, new: str) -> Path:
    """A copy of scenarios/<name> with exactly one expectation changed."""
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {name}"
    target = tmp / name
    target.write_text(text.replace(old, new), encoding="utf-8")
    return target


def run_cli(*args: str | Path) -> int:
    return main(["scenario", *map(str, args)])
