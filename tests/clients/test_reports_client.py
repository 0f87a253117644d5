"""Reports say which client ran, its version, and never count "not judged" as a pass."""

from __future__ import annotations

from app.scenario.report import junit_xml, report_json
from app.scenario.results import ScenarioResult, Status, StepResult


def _result() -> ScenarioResult:
    steps = (
        StepResult(1, "join", "join", Status.PASSED, 5.0),
        StepResult(2, "expect", "expect x", Status.NOT_JUDGED, 0.0, "not judged for webex: why"),
    )
    return ScenarioResult(
        file="scenarios/x.toml",
        name="X1 x",
        status=Status.NOT_JUDGED,
        steps=steps,
        client="sdk",
        client_version="3.12.0",
        client_label="webex 3.12.0",
    )


def test_json_report_carries_the_client_and_sdk_version() -> None:
    report = report_json([_result()])
    assert report["client"] == "sdk" and report["client_version"] == "3.12.0"
    assert report["passed"] is False  # not judged is never a pass
    assert report["summary"]["not judged"] == 1
    assert report["files"][0]["client_label"] == "webex 3.12.0"


def test_junit_reports_not_judged_as_skipped_with_why_and_the_client_as_properties() -> None:
    suite = junit_xml([_result()]).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["client"] == "sdk" and props["client_version"] == "3.12.0"
    skipped = [c for c in suite.iter("testcase") if c.find("skipped") is not None]
    assert len(skipped) == 1
    message = skipped[0].find("skipped").get("message")  # type: ignore[union-attr]
    assert message.startswith("not judged: ")
    assert suite.get("failures") == "0" and suite.get("skipped") == "1"
