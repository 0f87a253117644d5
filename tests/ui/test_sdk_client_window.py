"""The window with the SDK client selected (the real webex 3.12.0 in its Node driver) against
the embedded simulator: Join, Admit in the host console, and what 3.12.0 really does, the
401 of a registration without a datachannel token, shows in the log and on the default card.
Needs Node and the driver's node_modules (sdkclient/, `npm ci`); refuses to pass without."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QSettings
from PySide6.QtWidgets import QAbstractItemView

from app.clients.sdk_setup import driver_home, find_node
from app.core.events import ChannelName, EventKind
from app.ui.client_selector import ClientChoice
from tests.ui.driver import open_ui

DEFAULT = ChannelName.DEFAULT


def _texts(model: QAbstractItemModel) -> list[str]:
    out = []
    for row in range(model.rowCount()):
        out.append(
            " ".join(str(model.index(row, c).data() or "") for c in range(model.columnCount()))
        )
    return out


async def test_sdk_client_join_admit_shows_the_401_in_the_log_and_on_the_card(
    qsettings: QSettings,
) -> None:
    find_node()
    assert driver_home().installed, "sdkclient/node_modules missing: run `npm ci` in sdkclient/"
    async with open_ui(qsettings) as ui:
        selector = ui.w.client_selector  # type: ignore[attr-defined]
        selector.choose(ClientChoice("sdk"))
        assert "webex 3.12.0" in selector.detail.text()
        await ui.join()  # the SDK's own phase line says lobby
        assert ui.w.session.client.kind == "sdk"
        # what the SDK cannot do is off, with why
        assert not ui.card(DEFAULT).resub_button.isEnabled()
        assert "subchannelSubscriptionRequest" in ui.card(DEFAULT).resub_button.toolTip()
        await ui.until(lambda: ui.snap.participant_id, 10, "our participant id")
        ui.w.host.buttons["Admit"].click()
        await ui.until(lambda: ui.w.meeting.badge.text() == "Admitted", 15, "Admitted")
        await ui.until(lambda: ui.card(DEFAULT).state.text().startswith("error"), 15, "401 card")
        refused = [e for e in ui.events if e.channel == "default" and e.kind is EventKind.HTTP]
        assert refused and refused[0].data["status"] == 401
        assert refused[0].data["token_sent"] is False  # 3.12.0 read the lobby self
        card_text = (
            " ".join(w.text() for w in (ui.card(DEFAULT).state, ui.card(DEFAULT).detail))
            + " "
            + str(getattr(ui.card(DEFAULT).detail, "toolTip", lambda: "")())
        )
        assert "401" in card_text, card_text
        views = ui.w.log.findChildren(QAbstractItemView)
        logged = [t for v in views if v.model() is not None for t in _texts(v.model())]
        await ui.until(
            lambda: any(
                "registration refused (401)" in t
                for v in views
                if v.model() is not None
                for t in _texts(v.model())
            ),
            10,
            "401 in the log",
        )
        assert logged is not None
