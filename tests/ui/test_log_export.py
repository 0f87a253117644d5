"""Event log: filter, pause, export JSONL / latency CSV with no secret in the files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PySide6.QtCore import QSettings

from app.core.events import ChannelName
from app.core.locus import TOKEN_TYPES
from tests.ui.driver import open_ui


async def test_filter_pause_and_export_without_secrets(
    qsettings: QSettings, tmp_path: Path
) -> None:
    async with open_ui(qsettings) as ui:
        await ui.join()
        await ui.admit()
        await ui.practice()
        log = ui.w.log
        # both tokens exist now; the test (not the UI) reads them to search the files for them
        tokens = [ui.w.session.client.core.tokens.get(k).token for k in TOKEN_TYPES]
        assert all(len(t) > 40 for t in tokens)
        secrets = [*tokens, ui.w.session.user_token]

        # heartbeats are hidden by default, but kept
        await ui.until(lambda: any(e.heartbeat for e in log.model.all_events()), 5, "rtt events")
        log.model.flush()
        shown = {log.proxy.index(r, 2).data() for r in range(log.proxy.rowCount())}
        assert "rtt" not in shown and "online" in shown

        # pause: the view stops, nothing is lost
        log.pause_button.click()
        frozen = log.proxy.rowCount()
        before = log.model.total
        ui.w.host.buttons["Rotate"].click()  # default re-registers: new events arrive
        await ui.until(lambda: log.model.total > before + 5, 5, "events while paused")
        log.model.flush()
        assert log.proxy.rowCount() == frozen and log.model.pending
        log.pause_button.click()
        assert not log.model.pending and log.proxy.rowCount() > frozen

        # filter: channel "default" and type "state"
        log.channel_box.setCurrentIndex(log.channel_box.findData("default"))
        log.kind_box.setCurrentIndex(log.kind_box.findData("state"))
        rows = [
            (log.proxy.index(r, 1).data(), log.proxy.index(r, 2).data())
            for r in range(log.proxy.rowCount())
        ]
        assert rows and set(rows) == {("default", "state")}
        path = tmp_path / "events.jsonl"
        n = log.export_jsonl(path)
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert n == len(lines) >= len(rows)
        assert {(e["channel"], e["kind"]) for e in lines} == {("default", "state")}

        # everything, heartbeats included, then: no secret anywhere
        log.channel_box.setCurrentIndex(0)
        log.kind_box.setCurrentIndex(0)
        log.heartbeats.setChecked(False)
        everything = tmp_path / "all.jsonl"
        total = log.export_jsonl(everything)
        text = everything.read_text()
        assert total == log.model.total
        assert '"kind": "rtt"' in text and '"kind": "token"' in text
        assert "…" in text  # masked tokens are there, in their masked form
        for secret in secrets:
            assert secret not in text

        # latency samples as CSV
        await ui.until(lambda: "practice" in ui.w.latency.rtt, 5, "a practice RTT sample")
        csv_path = tmp_path / "latency.csv"
        count = ui.w.latency.export_csv(csv_path)
        with csv_path.open() as fh:
            table = list(csv.DictReader(fh))
        assert count == len(table) > 0
        assert {r["series"] for r in table if r["kind"] == "rtt"} >= {"default", "practice"}
        assert all(float(r["ms"]) >= 0 for r in table)
        # the cards agree with the log about what was confirmed
        assert "transcription ✓ confirmed" in ui.card(ChannelName.PRACTICE).subs.text()
