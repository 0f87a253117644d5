"""The Node driver's JSON lines (sdkclient/LINES.md) -> the core's events and snapshots.

Pure: no I/O, no clock of its own (every line carries the driver's `t`, epoch ms), so it is
tested by feeding recorded lines. Snapshots mean what the native core's mean; a field the
driver's lines cannot tell stays `None` (shown "-"), never a guess (SDK_CAPABILITIES lists
them, with why). Channel names are dcmon's: device (mercury), default, practice (LLM).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from app.clients.sdk_capabilities import SDK_CAPABILITIES
from app.clients.sdk_meeting import MeetingLines
from app.clients.sdk_sockets import SocketLines
from app.clients.sdk_state import (
    _PARTICIPANT_URL,
    DEFAULT_TOKEN,
    PRACTICE_TOKEN,
    _Channel,
    _num,
    _State,
    classify_http,
)
from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CoreEvent,
    EventKind,
    MeetingSnapshot,
    PhaseMark,
    TokenSnapshot,
)
from app.core.locus import Phase

__all__ = ["SDK_CAPABILITIES", "SdkTranslator", "classify_http"]


class SdkTranslator(SocketLines, MeetingLines):
    """Feed it driver lines (`feed`) and the adapter's own commands (`joining`, `leaving`);
    read `snapshot` and the events each call returns."""

    def __init__(
        self,
        server: str,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._monotonic = monotonic
        self._t0_mono = monotonic()
        self._t0_wall = time.time()
        self._seq = 0
        self._s = _State(server=server)
        self._pending_close: dict[ChannelName, tuple[float, int | None, str]] = {}
        self._reset_channels()
        self._reset_tokens()

    # -- facts about the driver ---------------------------------------------------------------
    @property
    def sdk_version(self) -> str | None:
        return self._s.sdk_version

    @property
    def sdk_dir(self) -> str | None:
        return self._s.sdk_dir

    @property
    def node(self) -> str | None:
        return self._s.node

    @property
    def exited(self) -> int | None:
        return self._s.exited

    # -- the adapter's commands ---------------------------------------------------------------
    def joining(self, meeting_id: str, now_ms: float | None = None) -> list[CoreEvent]:
        """A join starts a new generation, as in the core (rule 4)."""
        s = self._s
        s.generation += 1
        s.meeting_id, s.phase, s.joining, s.left = meeting_id, Phase.NOT_JOINED, True, False
        s.roles, s.practice, s.participant_id, s.locus_url = (), False, None, None
        s.timeline = []
        self._reset_tokens()
        for ch in s.channels.values():
            ch.online_once = False
            if ch.snap.name is not ChannelName.DEVICE:
                ch.snap = replace(ch.snap, generation=s.generation)
        t = self._now_ms(now_ms)
        self._mark("Joining", t)
        return [self._event(t, "meeting", EventKind.COMMAND, f"join {meeting_id}")]

    def leaving(self, now_ms: float | None = None) -> list[CoreEvent]:
        s = self._s
        if s.meeting_id is None or s.left:
            return []
        s.generation += 1
        s.left, s.joining = True, False
        return [self._event(self._now_ms(now_ms), "meeting", EventKind.COMMAND, "leave")]

    def note(
        self, channel: str, summary: str, kind: EventKind = EventKind.STATE, **data: Any
    ) -> CoreEvent:
        """An adapter-side fact (a fault asked of the simulator, stderr, a dead driver)."""
        if kind is EventKind.ERROR:
            self._s.last_error = summary
        return self._event(self._now_ms(None), channel, kind, summary, **data)

    # -- driver lines -------------------------------------------------------------------------
    def feed(self, line: Mapping[str, Any]) -> list[CoreEvent]:
        """Translate one line; unknown kinds become a STATE event, never an exception."""
        ev = str(line.get("ev", ""))
        t = _num(line.get("t"))
        out: list[CoreEvent] = []
        for name in list(self._pending_close):  # a close whose decision did not follow
            if not (ev == "socket.offline" and line.get("channel") == name.value):
                out += self.flush_close(name)
        handler = _HANDLERS.get(ev)
        if handler is None:
            out.append(
                self._event(t, "meeting", EventKind.STATE, f"driver: {ev or 'line'}", line=ev)
            )
            return out
        return out + handler(self, t, line)

    # -- the snapshot
    @property
    def snapshot(self) -> MeetingSnapshot:
        s = self._s
        phase = Phase.LEFT if s.left and s.meeting_id else s.phase
        return MeetingSnapshot(
            server=s.server,
            profile="sdk",
            meeting_id=s.meeting_id,
            generation=s.generation,
            phase=phase,
            badge=self._badge(),
            roles=s.roles,
            practice_enabled=s.practice,
            participant_id=s.participant_id,
            locus_url=s.locus_url,
            device_url=s.device_url,
            keep_alives=s.keep_alives,
            timeline=tuple(s.timeline),
            tokens=dict(s.tokens),
            channels=self._channels_now(),
            last_error=s.last_error,
            jwt_feature=s.jwt_feature,
            features_note=None,
            captions=s.captions,
            locus_sequence=None,
            stale_loci=None,  # type: ignore[arg-type]
        )

    def learn_participant(self, participant_id: str) -> None:
        """From the simulator's view when the driver's lines did not name it (adapter)."""
        self._s.participant_id = participant_id

    # -- helpers ------------------------------------------------------------------------------
    def _badge(self) -> str:
        s = self._s
        if s.meeting_id is None:
            return "Not joined"
        if s.left:
            return "Left"
        if s.phase is Phase.LOBBY:
            return "Lobby"
        if s.phase is Phase.JOINED:
            if "PANELIST" in s.roles:
                return "Practice session" if s.practice else "Panelist"
            return "Admitted"
        return "Joining" if s.joining else "Not joined"

    def _learn_ids(self, url: str) -> None:
        m = _PARTICIPANT_URL.search(urlsplit(url).path)
        if m is None or self._s.left:
            return
        path = urlsplit(url)
        base = f"{path.scheme}://{path.netloc}" if path.scheme else ""
        locus_url = base + path.path[: path.path.index("/participant/")]
        if self._s.locus_url is None:
            self._s.locus_url = locus_url
        if self._s.participant_id is None:
            self._s.participant_id = m.group(2)

    def _set_state(
        self, t: float, ch: _Channel, state: ChannelState, **changes: Any
    ) -> list[CoreEvent]:
        old = ch.snap.state
        changes.setdefault("generation", self._s.generation)
        ch.snap = replace(ch.snap, state=state, **changes)
        if old is state:
            return []
        return [
            self._event(
                t,
                ch.snap.name.value,
                EventKind.STATE,
                f"{old.value} -> {state.value}",
                state=state.value,
            )
        ]

    def _reset_channels(self) -> None:
        unknown: dict[str, Any] = {
            "attempt": None,
            "sequence_gaps": None,
            "binding": None,
            "connect_ms": None,
            "next_retry_at": None,
        }
        self._s.channels = {
            name: _Channel(ChannelSnapshot(name, **unknown)) for name in ChannelName
        }

    def _reset_tokens(self) -> None:
        self._s.tokens = {
            kind: TokenSnapshot(kind, last_result="not seen", last_ok=True)
            for kind in (DEFAULT_TOKEN, PRACTICE_TOKEN)
        }

    def _mark(self, label: str, t_ms: float) -> None:
        self._s.timeline.append(PhaseMark(label, self._rel(t_ms), t_ms / 1000.0))

    def _now_ms(self, now_ms: float | None) -> float:
        return now_ms if now_ms is not None else time.time() * 1000.0

    def _rel(self, t_ms: float) -> float:
        return max(t_ms / 1000.0 - self._t0_wall, 0.0)

    def _mono_at(self, t_ms: float) -> float:
        """The monotonic time matching a driver stamp (snapshots keep monotonic times)."""
        return self._t0_mono + (t_ms / 1000.0 - self._t0_wall)

    def _event(
        self, t_ms: float, channel: str, kind: EventKind, summary: str, **data: Any
    ) -> CoreEvent:
        self._seq += 1
        if not t_ms:
            t_ms = time.time() * 1000.0
        return CoreEvent(
            self._seq,
            self._rel(t_ms),
            t_ms / 1000.0,
            self._s.generation,
            channel,
            kind,
            summary,
            {k: v for k, v in data.items()},
        )


_HANDLERS: dict[str, Callable[[SdkTranslator, float, Mapping[str, Any]], list[CoreEvent]]] = {
    "ready": SdkTranslator._ready,
    "result": SdkTranslator._result,
    "http": SdkTranslator._http,
    "socket.opening": SdkTranslator._socket_opening,
    "socket.online": SdkTranslator._socket_online,
    "socket.closed": SdkTranslator._socket_closed,
    "socket.offline": SdkTranslator._socket_offline,
    "subscribe.answer": SdkTranslator._subscribe_answer,
    "announce": SdkTranslator._announce,
    "shim": SdkTranslator._shim,
    "captions": SdkTranslator._captions,
    "ping": SdkTranslator._ping,
    "pong": SdkTranslator._pong,
    "frames": SdkTranslator._frames,
    "subscribe": SdkTranslator._subscribe,
    "caption": SdkTranslator._caption,
    "phase": SdkTranslator._phase,
    "token": SdkTranslator._token,
    "sdk": SdkTranslator._sdk,
    "error": SdkTranslator._error,
    "netguard": SdkTranslator._netguard,
    "exit": SdkTranslator._exit,
}
