"""What a channel is asked to be, and what it needs from its meeting (no I/O)."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

from app.core import protocol as p
from app.core.events import ChannelName, EventKind
from app.core.http import Http
from app.core.ping_coordinator import PingCoordinator
from app.core.settings import Settings
from app.core.tokens import TokenStore
from app.core.transport import TransportPolicy

DROP_CLOSE = (3050, "done (forced)")  # a user-forced drop: the table says "reconnect"


class CommandError(Exception):
    """A command that cannot be done now; the message says why."""


@dataclass(frozen=True)
class Desired:
    generation: int
    url: str  # registration URL; for the device socket, the socket URL itself
    token_type: str | None  # None: no registration step (device socket)
    subscriptions: tuple[str, ...] = ()  # what this socket should have asked voicea for
    ready: bool = True
    waiting_for: str = ""
    jwt: bool = True  # device feature data-channel-with-jwt-token (token, header, subs)
    announce: bool = False  # this socket is voicea's publish transport, captions on

    @property
    def key(self) -> tuple[int, str, str | None]:
        return (self.generation, self.url, self.token_type)


@dataclass(frozen=True)
class Failure:
    message: str
    retry: bool


class ChannelHost(Protocol):
    """What the meeting gives its channels. All callbacks are synchronous."""

    settings: Settings
    http: Http
    tokens: TokenStore
    user_token: str
    device_url: str | None
    transport: TransportPolicy
    ssl_context: ssl.SSLContext
    pings: PingCoordinator  # one per client: its sockets never ping at once

    def fetch_token(self, token_type: str, generation: int) -> Awaitable[str]: ...
    def refresh_device(self) -> Awaitable[None]: ...
    def refresh_credentials(self) -> Awaitable[None]: ...
    def voicea_seq(self) -> int: ...
    def datachannel_url_gone(self, name: ChannelName) -> None: ...
    def emit(
        self, channel: str, generation: int, kind: EventKind, summary: str, **data: Any
    ) -> None: ...
    def channel_changed(self, name: ChannelName, online_changed: bool = True) -> None: ...
    def counters_changed(self) -> None: ...
    def channel_frame(self, name: ChannelName, generation: int, frame: p.Frame) -> None: ...
    def channel_online(self, name: ChannelName, generation: int, again: bool) -> None: ...
