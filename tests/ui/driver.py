"""Drives the real window like a user would, and waits on the asyncio side with deadlines."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings

from app.core.events import ChannelName, CoreEvent, MeetingSnapshot
from app.core.settings import profile
from app.ui.panels.channels import ChannelCard
from app.ui.waiting import Waiter
from app.ui.window import MainWindow, build_window

MEETING = "ui-1"
# test profile: pings every 0.2 s, backoff from 0.05 s; the first backoff step is raised to
# 0.8 s so a countdown stays on screen long enough to be read
SETTINGS = profile("test").with_(backoff_reset=0.8, backoff_max=1.6)


@dataclass
class UI:
    w: MainWindow
    waiter: Waiter
    events: list[CoreEvent]

    @property
    def snap(self) -> MeetingSnapshot:
        snap = self.w.bridge.last_snapshot
        assert snap is not None
        return snap

    def card(self, ch: ChannelName) -> ChannelCard:
        return self.w.channels.cards[ch]

    async def until(self, pred: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
        return await self.waiter.until(pred, timeout, what or getattr(pred, "__name__", "?"))

    def online_and_subscribed(self, ch: ChannelName) -> bool:
        """Read from the widgets, not the core: what the user sees."""
        card = self.card(ch)
        return card.state.text().startswith("online") and "transcription ✓ confirmed" in (
            card.subs.text()
        )

    async def join(self) -> None:
        self.w.meeting.join_button.click()
        await self.until(lambda: self.w.meeting.badge.text() == "Lobby", 10, "Lobby badge")

    async def admit(self) -> None:
        self.w.host.buttons["Admit"].click()
        await self.until(
            lambda: self.online_and_subscribed(ChannelName.DEFAULT), 10, "default online"
        )

    async def practice(self) -> None:
        self.w.host.buttons["Promote"].click()
        await self.until(lambda: "PANELIST" in self.w.meeting.roles.text(), 10, "panelist")
        self.w.host.buttons["Practice on"].click()
        await self.until(
            lambda: self.online_and_subscribed(ChannelName.PRACTICE), 10, "practice online"
        )

    def logged(self, needle: str) -> list[CoreEvent]:
        return [e for e in self.events if needle in e.summary]


@contextlib.asynccontextmanager
async def open_ui(qsettings: QSettings, settings: Any = SETTINGS) -> AsyncIterator[UI]:
    w = build_window(qsettings, settings, None)
    events: list[CoreEvent] = []
    w.bridge.event.connect(events.append)
    w.show()
    w.start()
    try:
        base = await w.session.start_embedded(MEETING)
        w.meeting.prefill(base, MEETING, "QA")
        w.host.fallback_meeting = MEETING
        yield UI(w, Waiter(w.bridge), events)
    finally:
        w.close()
        await asyncio.wait_for(w.closed, 15)
