"""The JSON report and JUnit XML of a run.

JUnit layout (what Jenkins, GitLab and GitHub test reporters read): one <testsuite> per
scenario file, one <testcase> per step (name "07 expect ...", classname "scenarios.<stem>",
time in seconds); an unmet expectation is a <failure>, a step that could not be done (or was
interrupted) an <error>, a step not run a <skipped>. A file that did not get as far as its
steps (invalid, or setup failed) is one testcase with an <error>.
"""

from __future__ import annotations

import json
import re
import socket
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import __version__
from app.scenario.results import ScenarioResult, Status

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def report_json(results: Sequence[ScenarioResult]) -> dict[str, Any]:
    return {
        "tool": "dcmon scenario",
        "version": __version__,
        "created": time.time(),
        "passed": bool(results) and all(r.passed for r in results),
        # which client ran the files (one run uses one client): native | sdk, and its version
        "client": results[0].client if results else None,
        "client_version": results[0].client_version if results else None,
        "client_label": results[0].client_label if results else None,
        "summary": {s.value: sum(1 for r in results if r.status is s) for s in Status}
        | {"files": len(results)},
        "files": [r.to_json() for r in results],
    }


def write_json(results: Sequence[ScenarioResult], path: str | Path) -> None:
    text = json.dumps(report_json(results), indent=2, default=str)
    Path(path).write_text(text + "\n", encoding="utf-8")


def junit_xml(results: Sequence[ScenarioResult]) -> ET.Element:
    root = ET.Element("testsuites", name="dcmon scenarios")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    for number, result in enumerate(results):
        suite = _suite(result, number)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        total_time += result.ms / 1000
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(total_time * 1000))
    return root


def write_junit(results: Sequence[ScenarioResult], path: str | Path) -> None:
    tree = ET.ElementTree(junit_xml(results))
    ET.indent(tree)
    tree.write(path, encoding="UTF-8", xml_declaration=True)


def _suite(result: ScenarioResult, number: int) -> ET.Element:
    classname = "scenarios." + Path(result.file).stem.replace(".", "_")
    suite = ET.Element(
        "testsuite",
        name=result.name,
        id=str(number),
        package="scenarios",
        timestamp=datetime.fromtimestamp(result.started or time.time(), UTC).strftime(
            "%Y-%m-%dT%H:%M:%S"
        ),
        hostname=socket.gethostname(),
        time=_seconds(result.ms),
    )
    props = ET.SubElement(suite, "properties")
    facts = (
        ("file", result.file),
        ("server", result.server),
        ("profile", result.profile),
        ("client", result.client),
        ("client_version", result.client_version),
        ("client_label", result.client_label),
    )
    for name, value in facts:
        ET.SubElement(props, "property", name=name, value=_clean(value))
    counts = dict.fromkeys(("failures", "errors", "skipped"), 0)
    cases = list(result.steps)
    if not cases:  # never reached its steps: one testcase carries why
        case = ET.SubElement(suite, "testcase", name="setup", classname=classname, time="0.000")
        _problem(case, "error", result.error or "no steps ran", result.status.value)
        counts["errors"] += 1
    for step in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            name=f"{step.index:02d} {step.description}",
            classname=classname,
            time=_seconds(step.ms),
        )
        if step.status is Status.FAILED:
            _problem(case, "failure", step.message, "expectation")
            counts["failures"] += 1
        elif step.status in (Status.ERROR, Status.INTERRUPTED):
            _problem(case, "error", step.message, step.status.value)
            counts["errors"] += 1
        elif step.status is Status.SKIPPED:
            ET.SubElement(case, "skipped", message=_clean(step.message))
            counts["skipped"] += 1
        elif step.status is Status.NOT_JUDGED:  # never a pass: reported as skipped, with why
            ET.SubElement(case, "skipped", message=_clean("not judged: " + step.message))
            counts["skipped"] += 1
    if cases and result.error:  # teardown trouble after the steps ran
        case = ET.SubElement(suite, "testcase", name="teardown", classname=classname, time="0.000")
        _problem(case, "error", result.error, "teardown")
        counts["errors"] += 1
    suite.set("tests", str(max(len(cases), 1) + (1 if cases and result.error else 0)))
    for key, value in counts.items():
        suite.set(key, str(value))
    out = ET.SubElement(suite, "system-out")
    out.text = _clean(_timeline_text(result))
    ET.SubElement(suite, "system-err")  # strict (Ant-style) schemas want both
    return suite


def _problem(case: ET.Element, tag: str, message: str, kind: str) -> None:
    first = message.splitlines()[0] if message else tag
    node = ET.SubElement(case, tag, message=_clean(first), type=kind)
    node.text = _clean(message)


def _timeline_text(result: ScenarioResult) -> str:
    """The timeline without ping round trips, so a CI log shows what happened."""
    lines = [
        f"{e.get('t', 0):9.3f} {e.get('channel', ''):<8} {e.get('kind', '')}: {e.get('summary')}"
        for e in result.timeline
        if e.get("kind") not in ("rtt", "keepalive", "transcript")
    ]
    return "\n".join(lines[-400:])


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


def _clean(text: str) -> str:
    return _XML_BAD.sub("?", text)
