"""Each benchmark, through `python -m bench`'s own main(), with the smoke budget."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.__main__ import BENCHMARKS, main

pytestmark = pytest.mark.bench_smoke


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_runs_and_reports(name: str, tmp_path: Path, capsys: pytest.CaptureFixture):
    out = tmp_path / "bench.json"
    code = main(["--smoke", "--quiet", "--only", name, "--json", str(out)])
    printed = capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    (result,) = data["results"]
    assert result["error"] is None, result["error"]
    assert code == 0
    assert result["name"] == name and result["rows"]
    for row in result["rows"]:
        value = row["dcmon"]
        assert value is not None and math.isfinite(value), row
    assert "targets met:" in printed
    assert data["machine"]["cores"] >= 1


def test_help_names_every_benchmark(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "--only" in text and "--quick" in text
    for name in BENCHMARKS:
        assert name in text
