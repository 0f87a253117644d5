"""Issue 13: three disruptions (a 1006 reset, a half-open, a URL rotation with an expired
token) make three incidents whose figures agree with the simulator's own timestamps."""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import main
from app.core.incidents import derive, summarize
from app.scenario.recording import load_session
from tests.incidents.session import RATE, SETTINGS, record_three_disruptions

SLACK = 0.25  # s: the simulator's state change and the client's event, on one loop


async def test_three_incidents_match_the_simulator(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "three.jsonl"
    saw = await record_three_disruptions(path)
    session = load_session(path)
    incidents = derive(session.timeline(), session.actions).incidents()
    assert [i.channel for i in incidents] == ["default"] * 3, [i.one_line() for i in incidents]
    reset, halfopen, rotate = incidents

    # causes: the control calls, in order
    assert reset.cause and reset.cause.args["action"] == "reset"
    assert halfopen.cause and halfopen.cause.args["action"] == "halfopen"
    assert rotate.cause and rotate.cause.name == "rotate"
    assert [a.name for a in rotate.related] == ["tokens"]  # the expiry just before

    # 1: the reset is seen at once (1006, no close frame), back online on a new socket
    assert reset.close_code == 1006 and reset.closed_by == "server"
    assert reset.detected <= saw.actions["reset"] + SLACK
    assert 0 <= reset.detect_ms < SLACK * 1000
    assert reset.resubscribe_confirmed is not None
    assert abs(reset.resubscribe_confirmed - saw.new_socket["reset"]) < SLACK

    # 2: the half-open is found by the pong timeout: after pong_timeout, within a ping
    # interval more (plus the slack); recovery when the simulator sees the new socket
    assert "pong timeout" in halfopen.detection and halfopen.closed_by == "client"
    low = SETTINGS.pong_timeout * 1000
    high = (SETTINGS.ping_interval + SETTINGS.pong_timeout + SLACK) * 1000
    assert low <= halfopen.detect_ms <= high, halfopen.detect_ms
    assert halfopen.online is not None
    assert abs(halfopen.resubscribe_confirmed - saw.new_socket["halfopen"]) < SLACK

    # 3: refused (401), waited auth_retry_delay, fetched a token the simulator issued then
    assert rotate.refusals == 1 and rotate.token_fetches == 1 and rotate.registrations == 1
    token_step = next(s for s in rotate.steps if s.lane == "token")
    assert saw.token_iat is not None and abs(token_step.wall - saw.token_iat) <= 1.0
    assert rotate.online is not None and saw.registered is not None
    assert rotate.online >= saw.registered - SLACK
    assert SETTINGS.auth_retry_delay * 1000 <= rotate.recover_ms
    assert rotate.recover_ms <= (SETTINGS.auth_retry_delay + 3 * SLACK) * 1000
    assert abs(rotate.resubscribe_confirmed - saw.new_socket["rotate"]) < SLACK

    # caption gaps: the simulator sends RATE a second, so a gap of g s lost about g*RATE-1
    for inc in incidents:
        assert inc.first_caption is not None and inc.gap_ms is not None
        expected = round(inc.gap_ms / 1000 * RATE) - 1
        assert abs((inc.captions_lost or 0) - expected) <= 1, inc.one_line()
    assert halfopen.captions_lost and halfopen.captions_lost >= RATE * SETTINGS.pong_timeout - 1

    # the recording carries the same incidents (written at close)
    assert [i["number"] for i in session.incidents] == [1, 2, 3]
    assert session.incidents[2]["recover_ms"] == round(rotate.recover_ms, 1)

    # python -m app incidents FILE: the table and the JSON
    assert main(["incidents", str(path)]) == 0
    table = capsys.readouterr().out
    assert "(3 incidents)" in table and "pong timeout" in table and "host rotate" in table
    assert main(["incidents", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    summary = doc["runs"][0]["summary"]
    assert summary == summarize(incidents).to_json()
    assert summary["count"] == 3 and summary["recovered"] == 3
