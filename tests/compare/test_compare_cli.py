"""Issue 13: `python -m app compare A B` names the difference between two runs (B with a
2 s token slowdown) and exits 1 with --fail-on; a run compared with itself passes."""

from __future__ import annotations

import json
from pathlib import Path

from app.analysis.failon import RuleError, parse_rule
from app.cli import main
from tests.incidents.session import record_three_disruptions


async def test_token_slowdown_is_named_and_fails(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    await record_three_disruptions(a)
    await record_three_disruptions(b, token_delay_ms=2000)

    assert main(["compare", str(a), str(b), "--fail-on", "recover-p95>+20%"]) == 1
    out = capsys.readouterr().out
    differences = out.split("\n\n")[1]
    assert "token-p95:" in differences and "recover-p95:" in differences, out
    assert "--fail-on recover-p95>+20%: REGRESSED" in out

    assert main(["compare", str(a), str(b), "--json", "--fail-on", "token-p95>+1500ms"]) == 1
    doc = json.loads(capsys.readouterr().out)
    token = doc["figures"]["token-p95"]
    assert token["b"] - token["a"] >= 2000 - 50  # the slowdown, as the client measured it
    assert doc["fail_on"][0]["triggered"] is True

    # the same run against itself: nothing regressed
    assert main(["compare", str(a), str(a), "--fail-on", "recover-p95>+20%"]) == 0
    assert "no notable differences" in capsys.readouterr().out
    # a bad rule is a usage error (2), not a pass
    assert main(["compare", str(a), str(b), "--fail-on", "recover>fast"]) == 2


def test_rules() -> None:
    r = parse_rule("recover-p95>+20%")
    assert r.check(1000, 1300)[0] is True and r.check(1000, 1100)[0] is False
    assert r.check(None, 1000)[0] is None  # cannot be judged: never a silent pass or fail
    assert parse_rule("token-p95>+2s").check(10, 2100)[0] is True
    assert parse_rule("incidents>3").check(0, 3)[0] is False
    for bad in ("nope>1", "recover-p95", "recover-p95>>1"):
        try:
            parse_rule(bad)
        except RuleError:
            continue
        raise AssertionError(bad)
