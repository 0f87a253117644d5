"""Issue 12, part A: what the walkthrough saw, checked on the real window over the embedded
simulator (real core, loopback). Waits are asyncio-side with deadlines (Waiter), never sleeps.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from app.core.events import ChannelName, ChannelState, EventKind
from app.sim import SimControl, SimulatorThread
from tests.ui.driver import MEETING, SETTINGS, open_ui

DEFAULT, PRACTICE = ChannelName.DEFAULT, ChannelName.PRACTICE


async def test_item1_join_is_off_while_joined_and_says_why(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        join, act = ui.w.meeting.join_button, ui.w.actions_by_name["join"]
        assert join.isEnabled() and act.isEnabled()
        await ui.join()
        for control in (join, act):
            assert not control.isEnabled()
            assert f"in {MEETING}: Leave first" in control.toolTip()
        act.trigger()  # Ctrl+J while joined: nothing happens (no silent rejoin)
        join.click()
        lobby_joins = [e for e in ui.events if e.summary.startswith(f"join {MEETING}")]
        assert len(lobby_joins) == 1
        ui.w.meeting.leave_button.click()
        await ui.until(lambda: ui.w.meeting.badge.text() == "Left", 10, "left")
        await ui.until(lambda: join.isEnabled() and act.isEnabled(), 5, "join back on")
        assert "Disabled" not in join.toolTip()


async def test_item2_a_socket_lost_without_close_frame_is_1006_everywhere(
    qsettings: QSettings, tmp_path: Path
) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        card = ui.card(DEFAULT)
        seen = len(ui.events)
        card.reset_button.click()  # drop the TCP connection: no close frame
        closed = await ui.until(
            lambda: next(
                (
                    e
                    for e in ui.events[seen:]
                    if e.channel == "default" and e.kind is EventKind.CLOSED
                ),
                None,
            ),
            10,
            "default closed",
        )
        assert closed.data["code"] == 1006 and "None" not in closed.summary
        assert closed.summary.startswith("closed 1006")
        await ui.until(lambda: card.close_info.text().startswith("1006"), 5, "card shows 1006")
        assert "None" not in card.close_info.text() + card.close_meaning.text()
        # the log row, the export and the plot label
        ui.w.bridge.flush_events()
        ui.w.log.model.flush()
        rows = [e for e in ui.w.log.model.all_events() if e.kind is EventKind.CLOSED]
        assert rows and all("None" not in e.summary for e in rows)
        out = tmp_path / "log.jsonl"
        ui.w.log.export_jsonl(out)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        closes = [x for x in lines if x["kind"] == "closed"]
        assert closes and all(x["data"]["code"] == 1006 for x in closes)
        labels = [m.label for m in ui.w.latency.markers]
        assert all("None" not in label for label in labels)
        assert any("1006" in label for label in labels), labels
        # the last snapshot carries it too (recordings, review)
        last_close = ui.snap.channel(DEFAULT).last_close
        assert last_close is not None and last_close.code == 1006


async def test_item4_the_meeting_panel_shows_the_newest_error_only(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        m = ui.w.meeting
        good = m.server.text()
        m.server.setText("http://127.0.0.1:1")
        m.join_button.click()
        await ui.until(lambda: m.problem.isVisible(), 10, "join error in the panel")
        assert "cannot reach http://127.0.0.1:1" in m.problem.text()
        m.server.setText(good)
        await ui.until(lambda: m.join_button.isEnabled(), 5, "join back on")
        await ui.join()
        assert not m.problem.isVisible()  # the old failure is gone after the success
        m.leave_button.click()
        await ui.until(lambda: m.badge.text() == "Left", 10, "left")
        m.meeting.setText("bad id/x")
        await ui.until(lambda: m.join_button.isEnabled(), 5, "join back on")
        m.join_button.click()
        await ui.until(lambda: "not a meeting id" in m.problem.text(), 5, "the newer error")
        assert m.problem.isVisible()


async def test_item7_cards_show_the_last_frame_and_an_outstanding_pong_live(
    qsettings: QSettings,
) -> None:
    # a long pong timeout: half-open stays undetected for seconds, as with the SDK's 14 s
    settings = SETTINGS.with_(pong_timeout=3.0)
    async with open_ui(qsettings, settings) as ui:
        await ui.join()
        await ui.admit()
        card = ui.card(DEFAULT)
        for c in ui.w.channels.cards.values():
            if c.snap.state is ChannelState.ONLINE:
                await ui.until(lambda c=c: "last frame" in c.liveness.text(), 5, "liveness")
        first = await ui.until(
            lambda: re.search(r"last frame ([\d.]+) s ago", card.liveness.text()), 5, "frame age"
        )
        assert float(first.group(1)) < 2.0
        card.halfopen_button.click()

        def outstanding() -> float | None:
            if card.snap.state is not ChannelState.ONLINE:
                return None
            m = re.search(r"pong outstanding ([\d.]+) s", card.liveness.text())
            return float(m.group(1)) if m else None

        early = await ui.until(outstanding, 5, "pong outstanding while still online")
        later = await ui.until(lambda: (v := outstanding()) and v > early + 0.3 and v, 5, "grows")
        assert later > early
        age = re.search(r"last frame ([\d.]+) s ago", card.liveness.text())
        assert age is not None and float(age.group(1)) >= 0.3  # nothing read since
        assert card.liveness.styleSheet()  # red once the pong is late
        # the detection then closes and the liveness line stops (no socket)
        await ui.until(lambda: card.snap.state is not ChannelState.ONLINE, 10, "detected")


async def test_item8_fields_belong_to_the_current_socket_token_and_meeting(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        card = ui.card(DEFAULT)
        await ui.until(lambda: card.rtt.text().startswith("rtt"), 5, "rtt")
        card.drop_button.click()  # the server closes with 1001: one reconnect
        await ui.until(lambda: card.counts.text().startswith("1 ("), 10, "one reconnect")
        await ui.until(lambda: ui.online_and_subscribed(DEFAULT), 10, "back online")
        ui.w.meeting.leave_button.click()
        await ui.until(lambda: ui.w.meeting.badge.text() == "Left", 10, "left")
        await ui.until(lambda: card.snap.state is not ChannelState.ONLINE, 5, "closed")
        assert card.rtt.text() == "" and card.subs.text() == "-" and card.liveness.text() == "-"
        await ui.until(lambda: card.url.text() == "-", 5, "no socket: no URL")
        assert card.frames.text() == "-" and card.binding.text() == "-"
        assert "last socket: ws://" in card.url.toolTip()  # the one that was, on hover
        row = ui.w.tokens.rows["llm-default-session"]
        await ui.until(lambda: row.value.text() == "-", 5, "token gone")
        assert row.result.text() in ("-", "not issued") or row.result.text().startswith("cleared")
        # the next meeting counts from zero
        await ui.join()
        await ui.admit()
        await ui.until(lambda: card.counts.text().startswith("0 (1 connects, 1 reg.)"), 5, "new")
        tok = ui.snap.tokens.get("llm-default-session")
        if tok is not None and tok.source == "join response":
            assert row.result.text() == "from the join response"


async def test_item12_actions_while_not_joined_are_off_with_a_reason(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        await ui.until(lambda: ui.w.session.is_simulator, 5, "host console")
        card = ui.card(DEFAULT)
        for b in (
            card.drop_button,
            card.reset_button,
            card.halfopen_button,
            card.reconnect_button,
            card.resub_button,
        ):
            assert not b.isEnabled() and "Disabled: not in a meeting" in b.toolTip(), b.text()
        for name in ("drop_default", "reconnect_practice", "refresh_default"):
            act = ui.w.actions_by_name[name]
            assert not act.isEnabled() and "Disabled" in act.toolTip(), name
        admit = ui.w.host.buttons["Admit"]
        assert not admit.isEnabled() and "not joined" in admit.toolTip()
        assert not ui.w.actions_by_name["host_Admit"].isEnabled()
        assert not ui.w.tokens.rows["llm-default-session"].refresh.isEnabled()
        seen = len(ui.events)
        ui.w.actions_by_name["drop_default"].trigger()  # Ctrl+D: nothing, not a pretend
        admit.click()
        assert not [e for e in ui.events[seen:] if "admit" in e.summary or "Drop" in e.summary]
        await ui.join()
        await ui.until(lambda: admit.isEnabled(), 5, "admit on with a participant")
        await ui.admit()
        await ui.until(lambda: card.drop_button.isEnabled(), 5, "drop on once online")
        assert "Disabled" not in card.drop_button.toolTip()
        assert ui.w.actions_by_name["drop_default"].isEnabled()


async def test_item11_dont_ask_again_turns_off_one_kind_only(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        confirm = ui.w.confirm
        confirm.set_enabled(True)
        ui.card(DEFAULT).drop_button.click()
        box = confirm.box
        assert isinstance(box, QMessageBox) and confirm.box_kind == "drop"
        box.checkBox().setChecked(True)  # "don't ask again"
        box.button(QMessageBox.StandardButton.Yes).click()
        await ui.until(lambda: ui.logged("server closes default with 1001"), 5, "dropped")
        assert not confirm.will_ask("drop") and confirm.enabled
        assert not ui.w.actions_by_name["confirm_drop"].isChecked()
        for kind in ("fault", "scenario"):
            assert confirm.will_ask(kind) and ui.w.actions_by_name[f"confirm_{kind}"].isChecked()
        # the next drop does not ask; "Run scenario leaves your meeting" still does
        await ui.until(lambda: ui.card(DEFAULT).drop_button.isEnabled(), 10, "online again")
        ui.card(DEFAULT).drop_button.click()
        assert confirm.box is None
        asked: list[bool] = []
        confirm.ask("Run scenario?", "This leaves ui-1", lambda: asked.append(True))
        assert confirm.box is not None and confirm.box_kind == "scenario" and not asked
        confirm.box.button(QMessageBox.StandardButton.Cancel).click()


async def test_item18_a_bad_server_is_checked_before_leaving_and_the_console_follows(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        s = ui.w.session
        await ui.join()
        await ui.admit()
        before = (s.client, s.client_server, s.backend)
        try:
            await s.join("http://127.0.0.1:1", MEETING, "QA")
        except ConnectionError as exc:
            assert "cannot reach http://127.0.0.1:1" in str(exc) and f"still in {MEETING}" in str(
                exc
            )
        else:
            raise AssertionError("a join on a dead server must fail")
        assert (s.client, s.client_server, s.backend) == before
        assert ui.snap.badge == "Admitted" and ui.online_and_subscribed(DEFAULT)

        # another simulator: after leaving, a join there moves the host console to it
        other = SimulatorThread()
        loop = asyncio.get_running_loop()
        base = await loop.run_in_executor(None, other.start)
        plain = await asyncio.start_server(_answer_404, "127.0.0.1", 0)
        try:
            ui.w.meeting.leave_button.click()
            await ui.until(lambda: ui.snap.badge == "Left", 10, "left")
            async with SimControl(base) as control:
                await control.create_meeting(meeting_id="elsewhere-1")
            await s.join(base, "elsewhere-1", "QA")
            assert s.backend is not None and s.backend.server == base
            assert s.sim is not None and s.sim.base_url == base
            assert not ui.w.docks["Host console"].isHidden()
            # a server that is not a simulator: the console hides (it would drive nothing)
            port = plain.sockets[0].getsockname()[1]
            url = f"http://127.0.0.1:{port}"
            try:
                await s.join(url, "x-1", "QA")
            except Exception:
                pass  # not a meeting backend either; what matters is the console
            assert s.sim is None and ui.w.docks["Host console"].isHidden()
            assert f"backend: {url}" in ui.w.status.backend.text()
            # and back to the embedded simulator: its console again
            home = before[2].server
            await s.join(home, MEETING, "QA")
            assert s.backend is not None and s.backend.embedded and s.backend.server == home
            assert s.sim is not None and s.sim.base_url == home
            await ui.until(lambda: not ui.w.docks["Host console"].isHidden(), 5, "console back")
        finally:
            plain.close()
            await plain.wait_closed()
            await loop.run_in_executor(None, other.stop)


async def _answer_404(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    await writer.drain()
    writer.close()
