"""Issue 12 part B, the host console against the real embedded simulator: captions run in the
demo meeting, the rate field reads the simulator, Active faults with a Clear each, log rows
with parameters, labelled fault fields, mode body and the v2 controls, the Expire / Revoke
note, and a server summary that never pushes the buttons (items 6, 9, 10)."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QPoint, QSettings

from app.core.events import ChannelName, EventKind
from app.ui.panels.host import HostPanel
from app.ui.panels.sim_calls import list_faults
from tests.ui.driver import MEETING, SETTINGS, open_ui

DEFAULT = ChannelName.DEFAULT


async def test_demo_meeting_has_captions_once_admitted_and_the_field_shows_the_real_rate(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        host = ui.w.host
        state = await ui.w.session.sim.state(MEETING)
        assert state["transcriptionPerSecond"] == 2.0  # running from the start
        await ui.join()
        await ui.admit()
        # no Set rate pressed: captions arrive once the channel is subscribed
        await ui.until(lambda: ui.w.captions.counts["default"] >= 1, 10, "a caption")
        assert not ui.logged("host: transcription")
        # the field reads the simulator back (set behind the console's back here)
        await ui.w.session.sim.transcription(MEETING, 7.5)
        host.refresh_state()
        await ui.until(lambda: host.rate.value() == 7.5, 5, "rate read back")


async def test_active_faults_listed_from_the_simulator_each_with_its_clear(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        host, sim = ui.w.host, ui.w.session.sim
        form = host.fault_form
        form.endpoint.setCurrentIndex(form.endpoint.findData("register"))
        form.mode.setCurrentIndex(form.mode.findData("error"))
        form.status.setValue(503)
        form.retry_after.setValue(3)
        form.count.setValue(4)
        host.buttons["Apply fault"].click()
        form.endpoint.setCurrentIndex(form.endpoint.findData("keepalive"))
        form.mode.setCurrentIndex(form.mode.findData("slow"))
        form.delay.setValue(1500)
        form.count.setValue(0)  # every call
        host.buttons["Apply fault"].click()
        host.sock_channel.setCurrentIndex(host.sock_channel.findData("default"))
        host.latency.setValue(250)
        host.buttons["Set latency"].click()

        def rows() -> dict[str, str]:
            return {f"{r.kind}:{r.what}": r.detail for r in host.faults.rows}

        await ui.until(
            lambda: {"fault:register", "fault:keepalive", "latency:default"} <= rows().keys(),
            5,
            "three active rows",
        )
        shown = rows()
        assert shown["fault:register"].startswith("register error 503")
        assert "4 calls left" in shown["fault:register"]
        assert shown["fault:keepalive"] == "keepalive slow 1500 ms, every call"
        assert "+250 ms" in shown["latency:default"]
        assert "transcription:captions" in shown  # the demo meeting's 2/s
        # the log says what was applied, with its parameters
        assert ui.logged("host: endpoint fault register error 503, Retry-After 3 s, 4 calls left")
        assert ui.logged("host: socket latency default +250 ms")

        # one Clear: only that fault goes, the other stays as it was
        host.faults.clear_buttons["fault:register"].click()
        await ui.until(lambda: "fault:register" not in rows(), 5, "register row gone")
        left = await list_faults(sim)
        assert [(f["endpoint"], f["mode"], f["delayMs"]) for f in left] == [
            ("keepalive", "slow", 1500)
        ]
        host.faults.clear_buttons["latency:default"].click()
        await ui.until(lambda: "latency:default" not in rows(), 5, "latency row gone")
        state = await sim.state(MEETING)
        me = next(p for p in state["participants"] if p["participantId"] == ui.snap.participant_id)
        assert all(s["latencyMs"] == 0 for s in me["channels"]["default"]["sockets"])
        assert "fault:keepalive" in rows()


async def test_a_server_half_open_socket_is_listed_and_can_be_ended_from_its_row(
    qsettings: QSettings,
) -> None:
    # a pong timeout long enough that the client does not end it first
    async with open_ui(qsettings, SETTINGS.with_(pong_timeout=30.0)) as ui:
        await ui.join()
        await ui.admit()
        await ui.until(lambda: ui.online_and_subscribed(DEFAULT), 10, "default online")
        host = ui.w.host
        host.sock_channel.setCurrentIndex(host.sock_channel.findData("default"))
        host.buttons["Server half-open"].click()
        await ui.until(lambda: "halfopen:default" in host.faults.clear_buttons, 5, "listed")
        button = host.faults.clear_buttons["halfopen:default"]
        assert button.text() == "End (1006)" and "1006" in button.toolTip()
        seen = len(ui.events)
        button.click()
        closed = await ui.until(
            lambda: next(
                (
                    e
                    for e in ui.events[seen:]
                    if e.channel == "default" and e.kind is EventKind.CLOSED
                ),
                None,
            ),
            5,
            "the half-open socket ended",
        )
        assert closed.data["code"] == 1006  # ended by the server, not by a pong timeout
        await ui.until(lambda: "halfopen:default" not in host.faults.clear_buttons, 5, "row gone")


async def test_fault_fields_are_labelled_per_mode_and_body_mode_applies(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        host = ui.w.host
        form = host.fault_form

        def visible() -> set[str]:
            return {k for k, label in form.labels.items() if not label.isHidden()}

        form.mode.setCurrentIndex(form.mode.findData("slow"))
        assert visible() == {"endpoint", "mode", "delay", "count"}
        form.mode.setCurrentIndex(form.mode.findData("error"))
        assert visible() == {"endpoint", "mode", "status", "retry", "count"}
        assert form.labels["status"].text() == "HTTP status" and form.labels["status"].buddy()
        form.mode.setCurrentIndex(form.mode.findData("body"))
        assert visible() == {"endpoint", "mode", "status", "body", "count"}
        assert form.status.value() == 200  # a body fault answers 200 with bad content
        form.endpoint.setCurrentIndex(form.endpoint.findData("token"))
        form.body.setText('{"datachannelToken": 12')
        host.buttons["Apply fault"].click()

        async def applied() -> list[dict[str, Any]]:
            return await list_faults(ui.w.session.sim)

        await ui.until(
            lambda: "fault:token" in {f"{r.kind}:{r.what}" for r in host.faults.rows},
            5,
            "body fault listed",
        )
        (fault,) = await applied()
        assert fault["mode"] == "body" and fault["body"] == '{"datachannelToken": 12'


async def test_v2_host_controls_captions_feature_drain(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        host, sim = ui.w.host, ui.w.session.sim
        host.buttons["Captions off"].click()
        await ui.until(lambda: ui.logged("host: captions off"), 5, "captions off logged")
        await ui.until(lambda: _captions(host) is False, 5, "captions off on the server")
        host.buttons["Captions on"].click()
        await ui.until(lambda: _captions(host) is True, 5, "captions on on the server")
        host.jwt_feature.setChecked(False)
        host.buttons["Set feature"].click()
        await ui.until(
            lambda: ui.logged("host: device feature data-channel-with-jwt-token off"), 5, "feature"
        )

        async def jwt_feature() -> bool:
            return (await sim._call("GET", "/sim/features"))["features"][
                "data-channel-with-jwt-token"
            ]

        assert await _sim_until(jwt_feature, False), "feature still on at the simulator"
        # drain: the client opens a replacement, the old socket closes 4001
        host.sock_channel.setCurrentIndex(host.sock_channel.findData("default"))
        host.buttons["Server drain"].click()
        await ui.until(lambda: ui.logged("host: drain default socket"), 5, "drain logged")

        def old_socket_closed_4001() -> bool:
            return any(
                e.kind is EventKind.CLOSED and e.channel == "default" and e.data.get("code") == 4001
                for e in ui.events
            )

        await ui.until(old_socket_closed_4001, 10, "the drained socket closed 4001")
        await ui.until(lambda: ui.online_and_subscribed(DEFAULT), 5, "the replacement online")
        assert not [e for e in ui.events if e.kind is EventKind.ERROR and "Host" in e.summary]


async def _sim_until(read: Any, wanted: Any, timeout: float = 5.0) -> bool:
    """Poll the simulator's answer (not a sleep standing in for an event) until `wanted`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await read() == wanted:
            return True
        await asyncio.sleep(0.05)
    return False


def _captions(host: HostPanel) -> bool | None:
    host.refresh_state()
    state = host.last_state or {}
    value = (state.get("captions") or {}).get("enabled")
    return value if isinstance(value, bool) else None


async def test_expire_explains_the_next_registration_and_rotate_forces_one(
    qsettings: QSettings,
) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        host = ui.w.host
        assert not host.force.isEnabled() and host.token_note.text() == ""
        host.buttons["Expire"].click()
        await ui.until(lambda: host.force.isEnabled(), 5, "the note after Expire")
        assert "next registration" in host.token_note.text()
        assert "Rotate now forces one" in host.token_note.text()
        registrations = ui.snap.channels[DEFAULT].registrations
        host.force.click()
        await ui.until(lambda: ui.logged("host: rotate the default URL"), 5, "rotate logged")
        # the new registration uses the expired token: refused, refreshed, registered again
        await ui.until(
            lambda: ui.snap.channels[DEFAULT].registrations > registrations, 10, "re-registered"
        )
        assert not host.force.isEnabled()


async def test_server_summary_never_grows_or_moves_the_buttons(qsettings: QSettings) -> None:
    async with open_ui(qsettings) as ui:
        host = ui.w.host
        host.resize(420, 900)
        buttons = list(host.buttons.values())

        def places() -> list[QPoint]:
            return [b.mapTo(host, QPoint(0, 0)) for b in buttons]

        def state(n: int) -> dict[str, Any]:
            people = [
                {
                    "participantId": f"P{i}",
                    "displayName": f"Guest {i} with a rather long display name",
                    "phase": "left" if i % 3 else "joined",
                    "roles": ["ATTENDEE"],
                    "channels": {"default": {"sockets": [{"subscriptions": ["transcription"]}]}},
                }
                for i in range(n)
            ]
            return {"meetingId": MEETING, "participants": people, "transcriptionPerSecond": 0}

        host.show_state(state(1), [])
        before, height = places(), host.summary_box.height()
        host.show_state(state(60), [{"endpoint": "token", "mode": "hang", "remaining": None}] * 5)
        assert places() == before and host.summary_box.height() == height
        text = host.summary.text()
        assert text.count("<br>") <= 4 and "+17 more present · 40 left" in text
        assert host.faults.height() == host.faults.minimumHeight()  # fixed: it scrolls
