"""Session recordings: written live line by line, loaded back as typed records; a truncated
last line is reported and the rest kept; anything else malformed names its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.events import CoreEvent, EventKind, Hub, MeetingSnapshot
from app.scenario.recording import Recorder, SessionFormatError, load_session


def event(seq: int, kind: EventKind, summary: str, **data: object) -> CoreEvent:
    return CoreEvent(seq, seq / 4, 1_764_000_000 + seq, 1, "default", kind, summary, data)


EVENTS = [
    event(1, EventKind.STATE, "offline -> registering", state="registering"),
    event(2, EventKind.ONLINE, "online in 3 ms", connect_ms=3.0, again=False),
    event(3, EventKind.RTT, "rtt 0.50 ms", rtt_ms=0.5),
    event(4, EventKind.CLOSED, "closed 1003", code=1003, reason="unsupported"),
    event(5, EventKind.RTT, "rtt 1.25 ms", rtt_ms=1.25),
]


def record(path: Path) -> Recorder:
    hub = Hub()
    recorder = Recorder(hub, path, server="http://127.0.0.1:8400", profile="test", meeting="m1")
    hub.publish(MeetingSnapshot(server="http://127.0.0.1:8400", profile="test", badge="Lobby"))
    for e in EVENTS:
        hub.emit(e)
    hub.publish(MeetingSnapshot(server="http://127.0.0.1:8400", profile="test", badge="Lobby"))
    return recorder


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    record(path).close()
    session = load_session(path)
    assert session.header.server == "http://127.0.0.1:8400" and session.header.version == 1
    assert session.header.profile == "test" and session.header.meeting == "m1"
    assert [e.kind for e in session.events] == [EventKind.STATE, EventKind.ONLINE, EventKind.CLOSED]
    assert [s.ms for s in session.latency] == [0.5, 1.25]
    assert session.timeline() == EVENTS  # ping events come back exactly as the core emits them
    assert len(session.snapshots) == 1  # an unchanged snapshot is not written twice
    assert session.snapshots[0].data["badge"] == "Lobby"
    assert not session.problems and not session.truncated


def test_every_line_is_on_disk_at_once(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    recorder = record(path)  # not closed: as if the app were still running (or had died)
    lines = path.read_text().splitlines()
    assert len(lines) == recorder.lines == 1 + 1 + len(EVENTS)
    assert json.loads(lines[-1])["type"] == "latency"
    recorder.close()


def test_truncated_last_line_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    record(path).close()
    written = len(path.read_text().splitlines())  # header, events, incidents (at close)
    with path.open("a") as f:
        f.write('{"type": "event", "seq": 6, "t": 1.5, "wa')  # the app died mid-write
    session = load_session(path)
    assert session.truncated
    assert session.problems == (f"line {written + 1}: truncated last line (41 bytes) ignored",)
    assert session.timeline() == EVENTS


def test_a_bad_line_in_the_middle_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    record(path).close()
    lines = path.read_text().splitlines()
    lines[3] = lines[3][:20]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SessionFormatError, match=r"bad.jsonl:4: not JSON"):
        load_session(path)


@pytest.mark.parametrize(
    ("first", "says"),
    [
        ({"type": "header", "format": "dcmon-session", "version": 2}, "newer dcmon"),
        ({"type": "header", "format": "other"}, "not a dcmon-session recording"),
        ({"type": "header", "format": "dcmon-session", "version": 1, "server": 5}, "'server'"),
    ],
)
def test_bad_headers(tmp_path: Path, first: dict, says: str) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(json.dumps(first) + "\n")
    with pytest.raises(SessionFormatError, match=says):
        load_session(path)


def test_bad_record_fields_and_unknown_records(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    record(path).close()
    n = len(path.read_text().splitlines())  # header, events, incidents (at close)
    with path.open("a") as f:
        f.write(json.dumps({"type": "marker", "label": "from a newer dcmon"}) + "\n")
    session = load_session(path)
    assert session.problems == (f"line {n + 1}: record type 'marker' skipped (newer dcmon?)",)
    with path.open("a") as f:
        f.write(json.dumps({"type": "latency", "seq": "7"}) + "\n")
    with pytest.raises(SessionFormatError, match=rf"f.jsonl:{n + 2}: latency: 'seq' must be int"):
        load_session(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    with pytest.raises(SessionFormatError, match="empty"):
        load_session(path)


def test_join_json_output_loads(tmp_path: Path) -> None:
    """`python -m app join --json` prints event and snapshot lines: a header-less session."""
    snap = MeetingSnapshot(server="http://127.0.0.1:8400", profile="demo")
    lines = [json.dumps({"type": "snapshot", "wall": 1_764_000_000.0, **snap.to_json()})]
    lines += [json.dumps({"type": "event", **e.to_json()}) for e in EVENTS]
    path = tmp_path / "join.jsonl"
    path.write_text("\n".join(lines) + "\n")
    session = load_session(path)
    assert session.problems == ("no header: read as `python -m app join --json` output",)
    assert session.header.server == "http://127.0.0.1:8400" and session.header.profile == "demo"
    assert session.timeline() == EVENTS and not session.latency


def test_a_write_failure_stops_recording_quietly(tmp_path: Path) -> None:
    hub = Hub()
    stream = (tmp_path / "x.jsonl").open("w")
    recorder = Recorder(hub, stream, server="s", profile="test")
    stream.close()  # as if the disk went away under the recorder
    hub.emit(EVENTS[0])  # must not raise into the core
    assert recorder.error is not None and "stopped" in recorder.error
    recorder.close()
