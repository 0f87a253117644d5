"""The device: WDM registration, its refresh (`PUT {deviceUrl}`), the features read from
both (data-channel-with-jwt-token), the device socket first, and the handshake's refresh
actions. A mixin of `MeetingClient` (split out of meeting.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from app.core import answers
from app.core import protocol as p
from app.core.desired import CommandError, Desired
from app.core.events import ChannelName, EventKind
from app.core.http import Http, HttpError
from app.core.locus_api import LocusApi
from app.core.settings import Settings


class JoinError(Exception):
    """Joining (or registering the device) failed; the message is for the user."""


class DeviceMixin:
    settings: Settings
    server: str
    api: LocusApi
    http: Http
    user_token: str
    device_name: str
    device_url: str | None
    jwt_feature: bool | None
    channels: dict[ChannelName, Any]
    _started: bool
    _starting: asyncio.Task[None] | None
    _device_online: asyncio.Event
    _features_note: str | None
    _credentials_refresh: Callable[[], Awaitable[str]] | None

    async def start(self) -> None:
        """Register the device and bring up the device socket.

        Single-flight: concurrent callers (a second join while the first is still starting)
        share one attempt, so there is only ever one device and one reconciler per channel.
        """
        if self._started:
            return
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start(), name="start")
        starting = self._starting
        try:
            await asyncio.shield(starting)
        finally:
            if starting.done() and self._starting is starting:
                self._starting = None  # done, or failed: the next call starts afresh
                if not starting.cancelled():
                    starting.exception()  # retrieved here, raised to every caller above

    async def _start(self) -> None:
        if self._started:
            return
        try:
            device, result = await self.api.register_device(self.device_name)
        except (HttpError, p.ProtocolError) as exc:
            message = f"could not register the device at {self.server}: {exc}"
            self._error("meeting", message)
            raise JoinError(message) from None
        self.device_url = device.url
        self._features(device, "registration")
        self._started = True
        for channel in self.channels.values():
            channel.start()
        self.channels[ChannelName.DEVICE].set_desired(Desired(0, device.web_socket_url, None))
        self._emit("meeting", EventKind.STATE, "device registered", ms=result.ms)
        self._publish()
        # like the SDK: the device socket first, so no locus push is missed after join
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                await self._device_online.wait()
        except TimeoutError:
            self._error("device", "device socket not online yet; joining anyway (will resync)")

    async def refresh_device(self) -> None:
        """`PUT {deviceUrl}`: a new device registration; its features are read again (and
        the handshake's 1005 rule uses it)."""
        if self.device_url is None:
            raise CommandError("no device registered yet")
        try:
            device, _ = await self.api.refresh_device(self.device_url, self.device_name)
        except (HttpError, p.ProtocolError) as exc:
            self._error("device", f"device refresh failed: {exc}")
            raise HttpError("device", f"refresh failed: {exc}") from None
        self._features(device, "refresh")
        if device.url != self.device_url:
            self._emit("device", EventKind.STATE, "device URL changed on refresh")
            self.device_url = device.url
        self.channels[ChannelName.DEVICE].set_desired(Desired(0, device.web_socket_url, None))
        self._reconcile()
        self._publish()

    async def refresh_credentials(self) -> None:
        """Handshake 4401: a fresh user token from `credentials_refresh`, if one was given."""
        if self._credentials_refresh is None:
            self._emit(
                "meeting",
                EventKind.STATE,
                "user credentials refused (4401): no credentials source, retrying as is",
            )
            return
        token = await self._credentials_refresh()
        if not token:
            raise HttpError("credentials", "the credentials refresh gave no token")
        self.user_token = token
        self.http.set_user_token(token)
        self._emit("meeting", EventKind.STATE, "user credentials refreshed")

    def _features(self, device: answers.DeviceAnswer, when: str) -> None:
        before, self.jwt_feature = self.jwt_feature, device.jwt_feature
        self._features_note = device.features_note
        state = "on" if device.jwt_feature else "off"
        if device.features_note:
            self._emit("device", EventKind.BAD_INPUT, device.features_note)
        if before != device.jwt_feature:
            self._emit(
                "device",
                EventKind.FEATURE,
                f"{answers.JWT_FEATURE} {state} (device {when})",
                feature=answers.JWT_FEATURE,
                on=device.jwt_feature,
            )
