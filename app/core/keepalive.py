"""Lobby keep-alive (PROTOCOL.md s. 2, SCENARIOS A5): one timer at most; a failure stops it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from app.core.http import Http, HttpError
from app.core.locus import MeetingView, Phase, keep_alive_interval


class LobbyKeepAlive:
    """GET keepAliveUrl every (keepAliveSecs - 1) * 750 ms while in the lobby."""

    def __init__(
        self, http: Http, on_sent: Callable[[int], None], on_failed: Callable[[str], None]
    ) -> None:
        self._http = http
        self._on_sent = on_sent
        self._on_failed = on_failed
        self._task: asyncio.Task[None] | None = None
        self._failed_in: int | None = None  # generation in which a failure stopped it
        self.sent = 0

    def update(self, view: MeetingView, generation: int) -> None:
        """Start or stop from the newest view; synchronous, so it cannot race."""
        interval = keep_alive_interval(view.keep_alive_secs)
        url = view.keep_alive_url
        if view.phase is not Phase.LOBBY or interval is None or url is None:
            self.stop()
            return
        if self._task is not None or self._failed_in == generation:
            return
        self._task = asyncio.get_running_loop().create_task(
            self._run(url, interval, generation), name="lobby-keepalive"
        )

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, url: str, interval: float, generation: int) -> None:
        while True:
            await asyncio.sleep(interval)  # the protocol's schedule
            try:
                await self._http.call("keepalive", "GET", url)
            except HttpError as exc:
                self._failed_in, self._task = generation, None
                self._on_failed(f"lobby keep-alive failed, keep-alives stopped: {exc}")
                return
            self.sent += 1
            self._on_sent(self.sent)
