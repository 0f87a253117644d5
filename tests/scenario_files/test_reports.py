"""JUnit XML has the structure CI systems read; reports and recordings hold no secrets."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.scenario import load_session
from app.sim.datachannel import DatachannelService

from .helpers import SCENARIOS, edited_copy, run_cli

SUITE_ATTRS = ("name", "tests", "failures", "errors", "skipped", "time", "timestamp")
CASE_ATTRS = ("name", "classname", "time")
OUTCOMES = ("failure", "error", "skipped")


def _number(element: ET.Element, key: str) -> float:
    value = element.get(key)
    assert value is not None, f"<{element.tag}> lacks {key}"
    return float(value)


def check_junit(path: Path) -> ET.Element:
    """Structural validation against what Jenkins/GitLab read (xmlschema is not installed)."""
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root:
        assert suite.tag == "testsuite"
        for key in SUITE_ATTRS:
            assert suite.get(key), f"testsuite lacks {key}"
        cases = suite.findall("testcase")
        tags = [c.tag for c in suite]
        assert tags[0] == "properties" and tags[-2:] == ["system-out", "system-err"]
        assert int(suite.get("tests", "")) == len(cases)
        for outcome, key in zip(OUTCOMES, ("failures", "errors", "skipped"), strict=True):
            assert int(suite.get(key, "")) == sum(1 for c in cases if c.find(outcome) is not None)
        for case in cases:
            for key in CASE_ATTRS:
                assert case.get(key) is not None, f"testcase lacks {key}"
            assert _number(case, "time") >= 0
            found = [child for child in case if child.tag in OUTCOMES]
            assert len(found) <= 1
            for child in found:
                assert child.get("message") is not None
                if child.tag != "skipped":
                    assert child.get("type") and child.text
        for key in totals:
            totals[key] += int(suite.get(key, ""))
    for key, value in totals.items():
        assert int(root.get(key, "")) == value
    assert _number(root, "time") >= 0
    return root


def test_junit_structure_with_a_pass_and_a_failure(tmp_path: Path) -> None:
    wrong = edited_copy(
        tmp_path,
        "a1_guest_admitted.toml",
        '{ expect = "badge", equals = "Admitted" }',
        '{ expect = "badge", equals = "Panelist", within = 0.3 }',
    )
    junit = tmp_path / "out.xml"
    assert run_cli(SCENARIOS / "p6_practice_register_5xx.toml", wrong, "--junit", junit) == 1
    root = check_junit(junit)
    passed, failed = root.findall("testsuite")
    assert passed.get("failures") == "0" and passed.get("errors") == "0"
    assert failed.get("failures") == "1" and int(failed.get("skipped", "")) > 0
    failure = failed.find("testcase/failure")
    assert failure is not None
    assert 'badge is "Admitted"' in failure.get("message", "")
    assert "last snapshot: badge Admitted" in (failure.text or "")
    case = failed.findall("testcase")[6]
    assert case.get("classname") == "scenarios.a1_guest_admitted"
    assert case.get("name", "").startswith("07 expect badge equals")
    assert "admitted from the lobby" in (failed.findtext("system-out") or "")


def test_reports_and_recordings_hold_no_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    issued: list[str] = []
    original = DatachannelService.issue

    def recording_issue(self: DatachannelService, *args: object) -> str:
        token = original(self, *args)  # type: ignore[arg-type]
        issued.append(token)
        return token

    monkeypatch.setattr(DatachannelService, "issue", recording_issue)
    user_token = "user-secret-4f8a1c9e7d2b"
    report, junit, record = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "rec"
    code = run_cli(
        SCENARIOS / "demo_tour.toml",
        "--token",
        user_token,
        "--report",
        report,
        "--junit",
        junit,
        "--record",
        record,
    )
    assert code == 0
    assert len(issued) == 3  # default, practice, and the default again after the expiry
    texts = {
        "report": report.read_text(),
        "junit": junit.read_text(),
        "recording": (record / "demo_tour.jsonl").read_text(),
        "console": capsys.readouterr().out,
    }
    for where, text in texts.items():
        for secret in [*issued, user_token]:
            assert secret not in text, f"a raw token in the {where}"
            assert secret.split(".")[-1] not in text, f"a token signature in the {where}"
    data = json.loads(texts["report"])
    assert data["files"][0]["timeline"] and data["files"][0]["last_snapshot"]["tokens"]
    # the live recording of the same run loads back, with ping samples
    session = load_session(record / "demo_tour.jsonl")
    assert session.header.profile == "test" and not session.problems
    assert session.latency and any(e.kind.value == "admitted" for e in session.events)
    assert len(session.timeline()) == len(data["files"][0]["timeline"])
