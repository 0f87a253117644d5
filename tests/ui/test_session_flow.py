"""The window against the embedded simulator, driven through its real widgets."""

from __future__ import annotations

import re

from PySide6.QtCore import QSettings

from app.core.events import ChannelName, EventKind
from app.core.locus import DEFAULT_TOKEN
from tests.ui.driver import open_ui

DEFAULT, PRACTICE = ChannelName.DEFAULT, ChannelName.PRACTICE


async def test_join_admit_shows_default_online_with_captions(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        assert ui.w.meeting.badge.text() == "Not joined"
        await ui.join()
        assert ui.card(DEFAULT).state.text() == "offline"  # no data channel in the lobby
        await ui.admit()
        assert ui.w.meeting.badge.text() == "Admitted"
        assert [ui.w.meeting.timeline.topLevelItem(i).text(1) for i in range(3)] == [
            "Joining",
            "Lobby",
            "Admitted",
        ]
        ui.w.host.rate.setValue(20)
        ui.w.host.buttons["Set rate"].click()
        await ui.until(lambda: ui.w.captions.counts["default"] >= 3, 10, "three captions")
        assert "default" in ui.w.captions.text.toPlainText()
        # the host console's view of the server agrees: one default socket, subscribed
        await ui.until(lambda: "default×1 [transcription]" in ui.w.host.summary.text(), 5)


async def test_promote_and_practice_session_bring_up_second_card(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        assert not ui.card(PRACTICE).state.text().startswith("online")
        await ui.practice()
        assert ui.w.meeting.badge.text() == "Practice session"
        # the default socket stays up (P1); transcription moves to the publish transport,
        # the practice socket, and off the default (P8: captions never arrive twice)
        assert ui.card(DEFAULT).state.text().startswith("online")
        await ui.until(lambda: ui.online_and_subscribed(PRACTICE), 10, "practice subscribed")
        assert "transcription ✓ confirmed" not in ui.card(DEFAULT).subs.text()
        ui.w.host.rate.setValue(20)
        ui.w.host.buttons["Set rate"].click()
        await ui.until(lambda: ui.w.captions.counts["practice"] >= 2, 10, "practice captions")


async def test_drop_default_reconnects_and_resubscribes(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        ui.w.host.rate.setValue(20)
        ui.w.host.buttons["Set rate"].click()
        await ui.until(lambda: ui.w.captions.counts["default"] >= 1, 10, "captions")
        seen: list[str] = []
        ui.w.bridge.snapshot.connect(lambda _s: seen.append(ui.card(DEFAULT).state.text()))
        # confirmations on: the question is non-modal (open()), answered like a user would
        ui.w.confirm.set_enabled(True)
        ui.card(DEFAULT).drop_button.click()
        box = ui.w.confirm.box
        assert box is not None and box.isVisible()
        assert "1001" in box.text()
        box.button(box.StandardButton.Yes).click()
        await ui.until(lambda: any(t.startswith("reconnecting in") for t in seen), 5, "countdown")
        await ui.until(lambda: ui.card(DEFAULT).counts.text().startswith("1 "), 10, "1 reconnect")
        await ui.until(lambda: ui.online_and_subscribed(DEFAULT), 10, "online again")
        assert "1001" in ui.card(DEFAULT).close_info.full
        assert "transient → reconnect" in ui.card(DEFAULT).close_meaning.full
        # captions resume: proof the subscription was re-sent on the new socket (R1)
        after = ui.w.captions.counts["default"]
        await ui.until(lambda: ui.w.captions.counts["default"] >= after + 2, 10, "captions resume")
        kinds = [e.kind for e in ui.events if e.channel == "default"]
        last_closed = max(i for i, k in enumerate(kinds) if k is EventKind.CLOSED)
        assert EventKind.SUBSCRIBED in kinds[last_closed:]


async def test_failed_reconnect_shows_a_ticking_countdown(qsettings: QSettings) -> None:
    """A rotation whose re-registration fails twice: the card counts down to the retry."""
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        h = ui.w.host
        h.endpoint.setCurrentText("register")
        h.mode.setCurrentText("error")
        h.count.setValue(2)
        h.buttons["Apply fault"].click()
        await ui.until(lambda: ui.logged("host: endpoint fault"), 5)
        h.rotate_channel.setCurrentText("default")
        h.buttons["Rotate"].click()
        text = await ui.until(
            lambda: "(attempt 2)" in (t := ui.card(DEFAULT).state.text()) and t,
            10,
            "countdown",
        )
        first = float(re.search(r"in ([\d.]+) s", text).group(1))  # type: ignore[union-attr]
        assert "(attempt 2)" in text
        later = await ui.until(
            lambda: (
                (m := re.search(r"in ([\d.]+) s", ui.card(DEFAULT).state.text()))
                and float(m.group(1)) < first - 0.15
                and m.group(1)
            ),
            5,
            "countdown ticking down",
        )
        assert float(later) < first
        await ui.until(lambda: ui.online_and_subscribed(DEFAULT), 10, "online after the fault")


async def test_refresh_button_resets_token_age(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        row = ui.w.tokens.rows[DEFAULT_TOKEN]
        assert row.source.text() == "fetched"
        await ui.until(lambda: row.age.text() == "00:01", 5, "token one second old")
        masked_before = row.value.text()
        row.refresh.click()
        await ui.until(lambda: row.result.text().startswith("ok in"), 5, "refresh result")
        assert row.source.text() == "refreshed"
        assert row.age.text() == "00:00"
        assert row.value.text() != masked_before and "…" in row.value.text()


async def test_expired_tokens_401_refresh_retry_in_the_log(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        h = ui.w.host
        h.token_type.setCurrentIndex(0)  # all tokens
        h.buttons["Expire"].click()
        await ui.until(lambda: ui.logged("host: expire all tokens"), 5)
        # a drop alone reconnects to the same webSocketUrl (PROTOCOL.md s. 4): no registration,
        # so the dead token is not noticed yet
        reconnects = ui.snap.channel(DEFAULT).reconnects
        ui.card(DEFAULT).drop_button.click()
        await ui.until(
            lambda: (
                ui.snap.channel(DEFAULT).reconnects > reconnects
                and ui.online_and_subscribed(DEFAULT)
            ),
            10,
            "reconnected after the drop",
        )
        assert not ui.logged("registration refused")
        # the next registration is due when the URL rotates: it goes out with the dead token
        h.buttons["Rotate"].click()
        await ui.until(lambda: ui.logged("after refresh + retry"), 10, "retry after refresh")
        await ui.until(lambda: ui.online_and_subscribed(DEFAULT), 10, "online again")
        ui.w.log.search.setText("refus")  # applies after a typing pause...
        assert ui.w.log.proxy.text == ""
        ui.w.log.search.returnPressed.emit()  # ...or at once on Enter
        assert ui.w.log.proxy.text == "refus"
        ui.w.log.model.flush()
        shown = [ui.w.log.proxy.index(r, 3).data() for r in range(ui.w.log.proxy.rowCount())]
        assert any("registration refused (401)" in s for s in shown), shown
        summaries = [e.summary for e in ui.events]
        refused = next(i for i, s in enumerate(summaries) if "registration refused (401)" in s)
        refreshed = next(i for i, s in enumerate(summaries) if f"{DEFAULT_TOKEN} refreshed" in s)
        retried = next(i for i, s in enumerate(summaries) if "after refresh + retry" in s)
        assert refused < refreshed < retried


async def test_errors_are_readable_messages_not_crashes(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        ui.w.meeting.server.setText("not a url")
        ui.w.meeting.join_button.click()
        await ui.until(lambda: ui.w.banner.isVisible(), 5, "banner")
        assert "Join failed" in ui.w.banner.label.text() and "not a URL" in ui.w.banner.label.text()
        # a command with nothing to act on is off and says why, never a pretend or a
        # silent no-op (issue 12, item 12)
        ui.w.banner.dismiss()
        resub = ui.card(DEFAULT).resub_button
        assert not resub.isEnabled() and "Disabled: not in a meeting" in resub.toolTip()
        resub.click()
        assert not ui.logged("Resubscribe default") and ui.w.banner.count == 0


async def test_closing_the_window_leaves_and_stops_the_simulator(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        thread = ui.w.session._sim_thread
        assert thread is not None and thread._thread.is_alive()
        ui.w.close()
        assert ui.w.isVisible()  # the first close only starts the clean shutdown
        await ui.until(lambda: ui.w.closed.done(), 15, "window closed")
        assert not ui.w.isVisible()
        assert ui.snap.badge == "Left"
        assert ui.logged("left the meeting")
        assert not thread._thread.is_alive()
