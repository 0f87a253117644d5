"""Issue 12 part B, the latency plot: injections marked when applied, HTTP calls as points,
no line across a drop, labels stacked, a time axis before any sample, the CSV (items 7, 16,
17 and the cosmetic ticks / fault labels)."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any

from app.core.events import CoreEvent, EventKind, MeetingSnapshot
from app.ui.panels.latency import INJECT_COLOR, LatencyPanel


def ev(seq: int, wall: float, kind: EventKind, channel: str, **data: Any) -> CoreEvent:
    return CoreEvent(seq, float(seq), wall, 2, channel, kind, f"{kind} {seq}", data)


def test_an_injection_is_marked_when_applied_not_only_its_detection(qapp: Any) -> None:
    panel = LatencyPanel()
    now = time.time()
    panel.on_event(ev(1, now - 10, EventKind.RTT, "default", rtt_ms=2.0))
    # the host console's log row for a half-open: no close happens for seconds after it
    panel.on_event(
        CoreEvent(
            -1,
            1.0,
            now - 8,
            2,
            "host",
            EventKind.COMMAND,
            "host: server half-open default socket",
            {"mark": "server half-open def", "channel": "default"},
        )
    )
    panel.on_event(
        CoreEvent(-2, 2.0, now - 7, 2, "host", EventKind.COMMAND, "host: rotate", {})
    )  # a host row without a mark (admit, lobby): no marker
    marks = [(m.wall, m.label) for m in panel.markers]
    assert marks == [(now - 8, "server half-open def")]
    assert panel.markers[0].text.color.name() == INJECT_COLOR
    assert "host: server half-open default socket" in panel.markers[0].text.toolTip()
    panel.on_event(ev(2, now - 2, EventKind.CLOSED, "default", code=None))
    assert panel.markers[-1].label == "drop default 1006"  # no close frame: 1006, not None


def test_http_calls_are_points_and_a_drop_breaks_the_rtt_line(qapp: Any) -> None:
    panel = LatencyPanel()
    panel.ensure_plots()
    now = time.time()
    for i in range(3):
        panel.on_event(ev(i + 1, now - 30 + i, EventKind.RTT, "default", rtt_ms=1.0 + i))
    panel.on_event(ev(10, now - 20, EventKind.CLOSED, "default", code=1001))
    for i in range(3):
        panel.on_event(ev(20 + i, now - 10 + i, EventKind.RTT, "default", rtt_ms=5.0))
    panel.on_event(ev(30, now - 300, EventKind.HTTP, "http", what="token", ms=40.0, status=200))
    panel.on_event(ev(31, now - 5, EventKind.HTTP, "http", what="token", ms=45.0, status=200))
    panel.redraw()
    rtt = panel.rtt["default"]
    x, y = rtt.data()
    assert len(x) == 7 and math.isnan(y[3]) and x[3] == now - 20  # the gap at the drop
    assert rtt.curve is not None and rtt.curve.opts["connect"] == "finite"
    token = panel.http["token"].curve
    assert token is not None and token.opts["pen"] is None  # points: no ramp between calls
    assert token.opts["symbol"] == "o"
    assert len(panel.rtt["default"].ring) == 6  # the gap is drawn, not stored


def test_labels_close_in_time_stack_instead_of_smearing(qapp: Any) -> None:
    panel = LatencyPanel()
    panel.ensure_plots()
    now = time.time()
    panel.on_event(ev(1, now - 50, EventKind.RTT, "default", rtt_ms=1.0))
    panel.redraw()
    for i, label in enumerate(("fault token 503", "+200ms def", "expire tokens")):
        panel.add_marker(now - 20 + i * 0.5, label, INJECT_COLOR)
    panel.add_marker(now - 19, "drop default 1006", "#d1242f", left=True)
    rows = [m.row for m in panel.markers]
    assert len(set(rows)) == len(rows), rows  # each on its own row
    assert [m.text.anchor.y() for m in panel.markers] == [-float(r) for r in rows]
    panel.add_marker(now + 500, "far later", INJECT_COLOR)
    assert panel.markers[-1].row == 0  # room again on the first row


def test_the_empty_plot_shows_clock_times_not_fractions_of_a_second(qapp: Any) -> None:
    panel = LatencyPanel()
    _, rtt_plot, _ = panel.ensure_plots()
    x0, x1 = rtt_plot.viewRange()[0]
    assert abs(x1 - time.time()) < 5 and 55 <= x1 - x0 <= 65  # the last minute, as clock times
    panel.view.resize(600, 300)
    panel.view.grab()  # paints: the axis picks its zoom level for that width
    axis = rtt_plot.getAxis("bottom")
    levels = axis.tickValues(x0, x1, 400)
    spacing, values = levels[0]
    ticks = axis.tickStrings(values, 1.0, spacing)
    assert ticks and all(len(t.split(":")) >= 2 for t in ticks), ticks  # "12:34:50", not ".100"


def test_latency_csv_has_status_meeting_generation_sorted_by_time(
    qapp: Any, tmp_path: Path
) -> None:
    panel = LatencyPanel()
    panel.set_snapshot(MeetingSnapshot(server="s", profile="test", meeting_id="m-1"))
    now = time.time()
    panel.on_event(ev(1, now - 1, EventKind.RTT, "practice", rtt_ms=3.0))
    panel.on_event(ev(2, now - 5, EventKind.HTTP, "http", what="register", ms=12.5, status=401))
    panel.on_event(ev(3, now - 3, EventKind.RTT, "default", rtt_ms=2.0))
    path = tmp_path / "lat.csv"
    assert panel.export_csv(path) == 3
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["wall"]) for r in rows] == sorted(float(r["wall"]) for r in rows)
    assert rows[0] | {"wall": "", "time": ""} == {
        "wall": "",
        "time": "",
        "kind": "http",
        "series": "register",
        "ms": "12.500",
        "status": "401",
        "meeting": "m-1",
        "generation": "2",
    }
    assert rows[1]["status"] == "" and rows[1]["series"] == "default"


def test_a_label_at_the_right_edge_flips_to_the_left_of_its_line(qapp: Any) -> None:
    panel = LatencyPanel()
    panel.resize(800, 400)
    _, rtt_plot, _ = panel.ensure_plots()
    now = time.time()
    rtt_plot.setXRange(now - 60, now, padding=0)
    panel.add_marker(now - 30, "fault token 503", INJECT_COLOR)  # room on its right
    panel.add_marker(now - 0.5, "expire tokens", INJECT_COLOR)  # none: at "now"
    panel.place_labels()
    assert [m.text.anchor.x() for m in panel.markers] == [0.0, 1.0]


def test_a_client_side_half_open_from_a_card_is_marked_when_requested(qapp: Any) -> None:
    panel = LatencyPanel()
    now = time.time()
    cmd = CoreEvent(
        5,
        1.0,
        now,
        1,
        "default",
        EventKind.COMMAND,
        "client-side halfopen requested",
        {"how": "halfopen"},
    )
    panel.on_event(cmd)  # as the core logs the card's Half-open
    assert [m.label for m in panel.markers] == ["client halfopen default"]
