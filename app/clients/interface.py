"""One client interface for the window, `join` and the scenario runner (ARCHITECTURE.md,
"Two clients, one window"): commands in, the core's events and snapshots out.

Both clients publish `CoreEvent`s and `MeetingSnapshot`s on a `Hub`, so panels, recorders
and verdicts work the same whichever produced them. What a client cannot do or cannot know
is stated once, in its `Capabilities`, with the reason: the window disables those commands
with the reason as tooltip, and the scenario runner reports an expectation that reads an
unknowable field as *not judged* (never as passed).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from app.core.channel import CommandError
from app.core.events import ChannelName, Hub, MeetingSnapshot


class Command(StrEnum):
    JOIN = "join"
    LEAVE = "leave"
    DROP = "drop"
    RECONNECT = "reconnect"
    RESUBSCRIBE = "resubscribe"
    REFRESH_TOKEN = "refresh_token"
    CAPTIONS = "captions"


class UnsupportedCommand(CommandError):
    """The client cannot do this command at all (not a refusal of the moment)."""

    def __init__(self, command: str, why: str) -> None:
        super().__init__(f"{command}: not possible with this client: {why}")
        self.command = command
        self.why = why


@dataclass(frozen=True)
class Capabilities:
    """What a client cannot do, or cannot know, and why (the reasons are shown to users).

    `unknown_fields`: snapshot paths as the scenario language spells them, with `*`
    wildcards (`channel.*.confirmed`); such a field is `None`/empty in the snapshot.
    `unknown_events`: event kinds this client never emits, whatever happens.
    `unknown_event_data`: `"kind.key"` data this client's events never carry.
    `via_simulator`: commands done through the simulator's control API, not the client.
    """

    unsupported: Mapping[str, str] = field(default_factory=dict)
    unknown_fields: Mapping[str, str] = field(default_factory=dict)
    unknown_events: Mapping[str, str] = field(default_factory=dict)
    unknown_event_data: Mapping[str, str] = field(default_factory=dict)
    via_simulator: Mapping[str, str] = field(default_factory=dict)
    # values a field of this client never takes (path pattern -> (values, why)): e.g. dcmon's
    # reconciler states, which the SDK has no equivalent of
    unknown_values: Mapping[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    wording: str | None = None  # why refusal messages are not dcmon's own words (or None)

    def why_not(self, command: str) -> str | None:
        return self.unsupported.get(str(command))

    def field_unknown(self, path: str) -> str | None:
        """The reason `path` (or a field under it) cannot be known, else None."""
        for pattern, why in self.unknown_fields.items():
            if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + ".*"):
                return why
        # the aliases the scenario language accepts
        for long, short in (("channels.", "channel."), ("tokens.", "token.")):
            if path.startswith(long):
                return self.field_unknown(short + path[len(long) :])
        return None

    def value_unknown(self, path: str, value: object) -> str | None:
        for pattern, (values, why) in self.unknown_values.items():
            if fnmatch.fnmatchcase(path, pattern) and value in values:
                return why
        for long, short in (("channels.", "channel."), ("tokens.", "token.")):
            if path.startswith(long):
                return self.value_unknown(short + path[len(long) :], value)
        return None

    def event_unknown(self, kind: str | None, data_keys: tuple[str, ...] = ()) -> str | None:
        if kind is not None and kind in self.unknown_events:
            return self.unknown_events[kind]
        for key in data_keys:
            why = self.unknown_event_data.get(f"{kind}.{key}") or self.unknown_event_data.get(
                f"*.{key}"
            )
            if why:
                return why
        return None


NATIVE_CAPABILITIES = Capabilities(
    unsupported={
        Command.CAPTIONS: "the core subscribes to transcription whenever a data channel is "
        "online; there is no captions on/off command",
    }
)


class TokenInfo(Protocol):
    @property
    def masked(self) -> str: ...

    @property
    def source(self) -> str | None: ...


@runtime_checkable
class Client(Protocol):
    """What the window, `join` and the scenario runner use; nothing else of a client."""

    kind: str  # "native" | "sdk"
    hub: Hub
    capabilities: Capabilities

    @property
    def server(self) -> str: ...

    @property
    def label(self) -> str:
        """For titles and reports: "dcmon core 1.2.0", "webex 3.12.0"."""
        ...

    @property
    def version(self) -> str: ...

    @property
    def snapshot(self) -> MeetingSnapshot: ...

    async def start(self) -> None: ...

    async def join(self, meeting_id: str, display_name: str | None = None) -> None: ...

    async def leave(self) -> None: ...

    async def close(self) -> None: ...

    # Synchronous for the native core (two in a row run in one loop turn, R2); a client that
    # needs I/O for them returns the task it started (already running; awaiting is optional).
    def drop(self, channel: ChannelName | str, how: str) -> Awaitable[object] | None: ...

    def reconnect(self, channel: ChannelName | str) -> Awaitable[object] | None: ...

    def resubscribe(self, channel: ChannelName | str) -> Awaitable[object] | None: ...

    async def refresh_token(self, token_type: str) -> TokenInfo: ...

    async def captions(self, on: bool) -> None: ...


CLIENT_KINDS = ("native", "sdk")
