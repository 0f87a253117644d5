"""Captions (voicea): turned on by `PUT {locusUrl}/controls/`, then announced and subscribed
on one socket, the publish transport (PROTOCOL.md s. 5; SDK: voicea.ts `getPublishTransport`,
`requestTurnOnCaptions`). Pure decisions here; the meeting does the HTTP call.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.events import ChannelName


@dataclass(frozen=True)
class Placement:
    """What each data channel's socket should ask voicea for."""

    default: tuple[str, ...]
    practice: tuple[str, ...]
    publish: ChannelName  # the publish transport: announce goes there

    def subs(self, name: ChannelName) -> tuple[str, ...]:
        return self.practice if name is ChannelName.PRACTICE else self.default


def placement(captions_on: bool, subchannels: tuple[str, ...], practice_online: bool) -> Placement:
    """The practice-session socket while it is connected, else the default one; at most one
    socket of the client holds a transcription subscription."""
    publish = ChannelName.PRACTICE if practice_online else ChannelName.DEFAULT
    subs = subchannels if captions_on else ()
    if publish is ChannelName.PRACTICE:
        return Placement((), subs, publish)
    return Placement(subs, (), publish)


class CaptionsState:
    """off -> requesting -> on (or failed: ...), per meeting generation."""

    def __init__(self) -> None:
        self.generation: int | None = None
        self.label = "off"

    def on_in(self, generation: int) -> bool:
        return self.generation == generation and self.label == "on"

    def wanted_in(self, generation: int) -> bool:
        """True unless a request for this generation is running or has succeeded."""
        return not (self.generation == generation and self.label in ("requesting", "on"))

    def requesting(self, generation: int) -> None:
        self.generation, self.label = generation, "requesting"

    def done(self, generation: int, ok: bool, why: str = "") -> None:
        if self.generation == generation:
            self.label = "on" if ok else f"failed: {why}"

    def reset(self) -> None:
        self.generation, self.label = None, "off"
