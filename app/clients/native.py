"""The native core (`app.core.meeting.MeetingClient`) behind the client interface."""

from __future__ import annotations

from app import __version__
from app.clients.interface import NATIVE_CAPABILITIES, Capabilities, Command, UnsupportedCommand
from app.core.events import ChannelName, Hub, MeetingSnapshot
from app.core.meeting import MeetingClient
from app.core.settings import SDK, Settings
from app.core.tokens import TokenSlot


class NativeClient:
    kind = "native"
    capabilities: Capabilities = NATIVE_CAPABILITIES

    def __init__(self, core: MeetingClient) -> None:
        self.core = core
        self.hub: Hub = core.hub

    @classmethod
    def create(
        cls,
        server: str,
        user_token: str,
        settings: Settings = SDK,
        display_name: str = "dcmon",
        **kw: object,
    ) -> NativeClient:
        return cls(MeetingClient(server, user_token, settings, display_name, **kw))  # type: ignore[arg-type]

    def __repr__(self) -> str:  # never the user token (MeetingClient's repr masks it too)
        return f"NativeClient({self.core!r})"

    @property
    def server(self) -> str:
        return self.core.server

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def version(self) -> str:
        return __version__

    @property
    def label(self) -> str:
        return f"dcmon core {__version__}"

    @property
    def snapshot(self) -> MeetingSnapshot:
        return self.core.snapshot

    async def start(self) -> None:
        await self.core.start()

    async def join(self, meeting_id: str, display_name: str | None = None) -> None:
        await self.core.join(meeting_id, display_name)

    async def leave(self) -> None:
        await self.core.leave()

    async def close(self) -> None:
        await self.core.close()

    def drop(self, channel: ChannelName | str, how: str) -> None:
        self.core.drop(channel, how)

    def reconnect(self, channel: ChannelName | str) -> None:
        self.core.reconnect(channel)

    def resubscribe(self, channel: ChannelName | str) -> None:
        self.core.resubscribe(channel)

    async def refresh_token(self, token_type: str) -> TokenSlot:
        return await self.core.refresh_token(token_type)

    async def captions(self, on: bool) -> None:
        raise UnsupportedCommand(
            Command.CAPTIONS, self.capabilities.why_not(Command.CAPTIONS) or ""
        )


def as_client(client: object) -> object:
    """A `MeetingClient` wrapped; anything else (already a client) as it is."""
    return NativeClient(client) if isinstance(client, MeetingClient) else client
