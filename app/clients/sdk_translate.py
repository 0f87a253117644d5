"""The Node driver's JSON lines (sdkclient/LINES.md) -> the core's events and snapshots.

Pure: no I/O, no clock of its own (every line carries the driver's `t`, epoch ms), so it is
tested by feeding recorded lines. Snapshots mean what the native core's mean; a field the
driver's lines cannot tell stays `None` (shown "-"), never a guess (SDK_CAPABILITIES lists
them, with why). Channel names are dcmon's: device (mercury), default, practice (LLM).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from app.clients.interface import Capabilities, Command
from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CloseInfo,
    CoreEvent,
    EventKind,
    MeetingSnapshot,
    PhaseMark,
    TokenSnapshot,
)
from app.core.locus import Phase

DEFAULT_TOKEN = "llm-default-session"
PRACTICE_TOKEN = "llm-practice-session"
TOKEN_OF_CHANNEL = {"default": DEFAULT_TOKEN, "practice": PRACTICE_TOKEN}
TOKEN_SOURCES = {"join": "join response", "fetch": "fetched", "header": "header"}

# SDK_FLOW.md, "Node shims": noise of a media-less Node run, not a failure of the flow
HARMLESS = ("no WebRTC in node", "Error creating peerConnection for H.264 test")
_NOT_SEEN = "the driver's lines do not carry it"
SDK_CAPABILITIES = Capabilities(
    unsupported={
        Command.REFRESH_TOKEN: "the SDK has no public call to refresh a datachannel token; "
        "it fetches one only when it decides to (interceptors/dataChannelAuthToken.ts)",
        Command.RESUBSCRIBE: "the SDK exposes no call that re-sends "
        "subchannelSubscriptionRequest; it subscribes only when captions are turned on",
    },
    unknown_fields={
        "channel.*.attempt": "the SDK's retry attempt counter is internal to mercury",
        "channel.*.next_retry_at": "the SDK's backoff schedule is internal to mercury",
        "channel.*.sequence_gaps": "the SDK does not report sequence gaps",
        "channel.*.connect_ms": "measured by the native core around its own socket only",
        "channel.*.binding": _NOT_SEEN + " (the registration answer body)",
        "channel.*.detail": "dcmon's own wording of the core's reconciler state",
        "channel.*.last_close.meaning": "the meaning column of dcmon's close-code table",
        "token.*.fetch_ms": _NOT_SEEN,
        "token.*.fetched_at": "the SDK's token cache is internal",
        "token.*.age": "the SDK's token cache is internal",
        "token.*.decode_error": "the SDK decides itself whether a token is a JWT",
        "token.*.last_result": "the SDK's token cache is internal",
        "token.*.last_ok": "the SDK's token cache is internal",
        "last_error": "the SDK's own error messages, not dcmon's wording",
        "locus_sequence": "the SDK orders loci internally (locus-info/parser.ts)",
        "stale_loci": "the SDK orders loci internally (locus-info/parser.ts)",
        "features_note": "dcmon's own note on the device answer",
        "channel.*.last_error": "the SDK's own error messages, not dcmon's wording",
        "profile": "the SDK's timings are its own, not a dcmon profile",
    },
    unknown_events={
        EventKind.SUBSCRIBE_FAILED.value: "the SDK swallows a failed subscription send",
        EventKind.RETRY.value: "mercury's retry schedule is internal to the SDK",
        EventKind.RTT.value: "the SDK pings on its own schedule (mercury pingInterval 15 s), "
        "not the scenario profile's: a count of round trips within its deadline says nothing",
        EventKind.SEQ_GAP.value: "the SDK does not report sequence gaps",
        EventKind.BAD_INPUT.value: "the SDK does not report frames it dropped",
        EventKind.LOCUS.value: "the SDK parses loci internally",
        EventKind.COMMAND.value: "client-side drops are done by the simulator for the SDK",
    },
    unknown_event_data={
        "closed.action": "the SDK's decision comes after the close (offline.* on its own line)",
        "closed.meaning": "dcmon's close-code table, not the SDK's decision",
        "closed.by_client": "the driver's close line does not say which side closed",
        "online.connect_ms": "measured by the native core around its own socket only",
        "token.ms": _NOT_SEEN,
        "http.retried": "the SDK's retry interceptors are internal",
        "transcript.language": _NOT_SEEN,
    },
    unknown_values={
        "channel.*.state": (
            ("fetching token", "registering", "authorizing", "waiting"),
            "a step of dcmon's reconciler; the SDK's lines show a channel only as connecting, "
            "online, reconnecting, closed, replaced or in error",
        ),
    },
    wording="the SDK's own error messages, not dcmon's wording",
    via_simulator={
        Command.DROP: "done by the simulator's fault proxy on the SDK's socket (/sim/sockets): "
        "the SDK has no call to break its own socket",
    },
)

# mercury's offline.* -> (what it does, the state it leaves the card in)
_SDK_DECISIONS = {
    "transient": ("reconnect", ChannelState.RECONNECTING),
    "permanent": ("stay offline (permanent)", ChannelState.CLOSED),
    "replaced": ("stay offline (replaced)", ChannelState.REPLACED),
}

_PARTICIPANT_URL = re.compile(r"/loci/([^/?#]+)/participant/([^/?#]+)")


@dataclass
class _Channel:
    snap: ChannelSnapshot
    opening_t: float | None = None  # driver ms of the last socket.opening
    online_once: bool = False  # reached online in this generation (next online = reconnect)
    sid: str | None = None  # the driver's id of the socket now serving this channel
    switching: bool = False  # a shutdown switchover is opening a replacement
    retired: set[str] = field(default_factory=set)  # sids replaced by a switchover


@dataclass
class _State:
    server: str
    generation: int = 0
    meeting_id: str | None = None
    phase: Phase = Phase.NOT_JOINED
    joining: bool = False
    left: bool = False
    roles: tuple[str, ...] = ()
    practice: bool = False
    participant_id: str | None = None
    locus_url: str | None = None
    device_url: str | None = None
    keep_alives: int = 0
    timeline: list[PhaseMark] = field(default_factory=list)
    tokens: dict[str, TokenSnapshot] = field(default_factory=dict)
    channels: dict[ChannelName, _Channel] = field(default_factory=dict)
    last_error: str | None = None
    jwt_feature: bool | None = None
    captions: str = "off"
    sdk_version: str | None = None
    sdk_dir: str | None = None
    node: str | None = None
    exited: int | None = None


class SdkTranslator:
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
        handler = _HANDLERS.get(ev)
        if handler is None:
            return [self._event(t, "meeting", EventKind.STATE, f"driver: {ev or 'line'}", line=ev)]
        return handler(self, t, line)

    def _ready(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        s = self._s
        s.sdk_version = _str(d.get("sdkVersion"))
        s.sdk_dir = _str(d.get("sdkDir"))
        s.node = _str(d.get("node"))
        return [
            self._event(
                t,
                "meeting",
                EventKind.STATE,
                f"SDK driver ready: webex {s.sdk_version or '?'} on node {s.node or '?'}",
                sdk_version=s.sdk_version,
                sdk_dir=s.sdk_dir,
                node=s.node,
            )
        ]

    def _result(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        events: list[CoreEvent] = []
        data = d.get("data")
        if isinstance(data, Mapping):
            s = self._s
            s.device_url = _str(data.get("deviceUrl")) or s.device_url
            if isinstance(data.get("dataChannelWithJwtToken"), bool):
                s.jwt_feature = data["dataChannelWithJwtToken"]
                state = "on" if s.jwt_feature else "off"
                events.append(
                    self._event(
                        t,
                        "meeting",
                        EventKind.FEATURE,
                        f"data-channel-with-jwt-token {state} (device registration)",
                        feature="data-channel-with-jwt-token",
                        on=s.jwt_feature,
                    )
                )
            if not s.left:
                s.locus_url = _str(data.get("locusUrl")) or s.locus_url
        if d.get("ok", False):
            return events
        message = f"driver command {d.get('id')} failed: {d.get('error') or 'no reason given'}"
        self._s.last_error = message
        return [
            *events,
            self._event(t, "meeting", EventKind.ERROR, message, command_id=d.get("id")),
        ]

    def _http(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        method = str(d.get("method") or "GET").upper()
        url = str(d.get("url") or "")
        status = d.get("status")
        status = status if isinstance(status, int) and status > 0 else None
        ms = _num(d.get("ms"))
        error = _str(d.get("error"))
        what, channel = classify_http(method, url, d)
        self._learn_ids(url)
        ok = status is not None and 200 <= status < 300
        summary = f"{what} {status if status is not None else error or 'no answer'} in {ms:.0f} ms"
        out = [
            self._event(
                t,
                "http",
                EventKind.HTTP,
                summary,
                what=what,
                status=status,
                ms=ms,
                error=error,
                method=method,
                url=url,
            )
        ]
        s = self._s
        if what == "keepalive" and ok:
            s.keep_alives += 1
        if what == "register" and channel is not None:
            name = ChannelName(channel)
            ch = s.channels[name]
            if ok:
                ch.snap = replace(
                    ch.snap,
                    registration_url=url.split("?")[0],
                    register_ms=ms,
                    registrations=ch.snap.registrations + 1,
                    last_error=None,
                    generation=s.generation,
                )
                out.append(
                    self._event(
                        t,
                        channel,
                        EventKind.HTTP,
                        f"registered in {ms:.0f} ms",
                        what="register",
                        ms=ms,
                        status=status,
                    )
                )
            else:
                why = f"registration {status if status is not None else error or 'failed'}"
                told = "dcToken" in d or "auth" in d  # the driver says whether a header went out
                if told:
                    why += " (Data-Channel-Auth-Token " + (
                        "sent)" if d.get("dcToken") else "not sent)"
                    )
                ch.snap = replace(
                    ch.snap,
                    state=ChannelState.ERROR,
                    registration_url=url.split("?")[0],
                    last_error=why,
                    generation=s.generation,
                )
                out.append(
                    self._event(
                        t,
                        channel,
                        EventKind.HTTP,
                        f"registration refused ({status})" if status is not None else why,
                        status=status,
                        token_sent=bool(d.get("dcToken")) if told else None,
                        ms=ms,
                        error=error,
                    )
                )
                out.append(self._event(t, channel, EventKind.ERROR, why, status=status))
        if what == "join" and not ok:
            s.last_error = f"join {status or error}"
            out.append(self._event(t, "meeting", EventKind.ERROR, s.last_error, status=status))
        return out

    def _socket_opening(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d)
        if name is None:
            return []
        ch = self._s.channels[name]
        ch.opening_t = t
        url = _str(d.get("url"))
        if ch.switching and ch.snap.state is ChannelState.ONLINE:
            return []  # the replacement of a draining socket: the old one still serves
        return self._set_state(
            t,
            ch,
            ChannelState.CONNECTING,
            web_socket_url=url.split("?")[0] if url else ch.snap.web_socket_url,
        )

    def _socket_online(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d)
        if name is None:
            return []
        ch = self._s.channels[name]
        if d.get("switchover"):  # mercury's make-before-break replacement (shutdown frame)
            return self._switched(t, ch, d)
        ch.sid = _str(d.get("sid")) or ch.sid
        again = ch.online_once
        ch.online_once = True
        connect_ms = (t - ch.opening_t) if ch.opening_t is not None else None
        out = self._set_state(
            t,
            ch,
            ChannelState.ONLINE,
            online_since=self._mono_at(t),
            connects=ch.snap.connects + 1,
            reconnects=ch.snap.reconnects + (1 if again else 0),
            confirmed=(),
            last_error=None,
        )
        took = f" in {connect_ms:.0f} ms" if connect_ms is not None else ""
        out.append(
            self._event(
                t,
                name.value,
                EventKind.ONLINE,
                f"online{took}" + (" (reconnected)" if again else ""),
                again=again,
            )
        )
        return out

    def _socket_closed(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d)
        if name is None:
            return []
        ch = self._s.channels[name]
        code = d.get("code")
        code = code if isinstance(code, int) else None
        reason = str(d.get("reason") or "")
        info = CloseInfo(code, reason, None, None, self._mono_at(t))  # type: ignore[arg-type]
        sid = _str(d.get("sid"))
        if sid is not None and sid in ch.retired:
            # not the socket serving the channel (the old one of a switchover): it stays up
            return [
                self._event(
                    t,
                    name.value,
                    EventKind.CLOSED,
                    f"closed {code} {reason!r} (the old socket of a switchover)",
                    code=code,
                    reason=reason,
                    retired=True,
                )
            ]
        out = self._set_state(
            t,
            ch,
            ChannelState.OFFLINE,
            last_close=info,
            online_since=None,
            confirmed=(),
        )
        out.append(
            self._event(
                t,
                name.value,
                EventKind.CLOSED,
                f"closed {code} {reason!r}",
                code=code,
                reason=reason,
            )
        )
        return out

    def _switched(self, t: float, ch: _Channel, d: Mapping[str, Any]) -> list[CoreEvent]:
        ch.switching = False
        new_sid = _str(d.get("sid"))
        if ch.sid is not None and new_sid is not None and new_sid != ch.sid:
            ch.retired.add(ch.sid)
        ch.sid = new_sid or ch.sid
        took = (t - ch.opening_t) if ch.opening_t is not None else None
        ch.snap = replace(
            ch.snap,
            switchovers=ch.snap.switchovers + 1,
            switchover=None,
            confirmed=(),
            web_socket_url=(_str(d.get("url")) or ch.snap.web_socket_url or "").split("?")[0]
            or None,
        )
        return [
            self._event(
                t,
                ch.snap.name.value,
                EventKind.SWITCHOVER,
                "replacement online"
                + (f" in {took:.0f} ms" if took is not None else "")
                + " (mercury switchover)",
                **({"connect_ms": took} if took is not None else {}),
            )
        ]

    def _socket_offline(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        """mercury's own decision after a close: offline.transient / permanent / replaced."""
        name = _channel(d)
        if name is None:
            return []
        ch = self._s.channels[name]
        kind = str(d.get("kind") or "")
        action, state = _SDK_DECISIONS.get(kind, (f"offline.{kind}", ChannelState.OFFLINE))
        if ch.snap.last_close is not None:
            ch.snap = replace(ch.snap, last_close=replace(ch.snap.last_close, action=action))
        out = self._set_state(t, ch, state)
        out.append(
            self._event(
                t,
                name.value,
                EventKind.STATE,
                f"SDK: offline.{kind} -> {action}",
                sdk_decision=kind,
                action=action,
                code=d.get("code"),
                reason=d.get("reason"),
            )
        )
        return out

    def _subscribe_answer(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        """The server's subscription response, as the SDK received it on that socket."""
        name = _channel(d) or ChannelName.DEFAULT
        ch = self._s.channels[name]
        subs = [str(x) for x in d.get("subscribed") or ()]
        unsubs = [str(x) for x in d.get("unsubscribed") or ()]
        confirmed = tuple(dict.fromkeys(x for x in (*ch.snap.confirmed, *subs) if x not in unsubs))
        ch.snap = replace(ch.snap, confirmed=confirmed)
        return [
            self._event(
                t,
                name.value,
                EventKind.SUBSCRIBED,
                f"subscribed {', '.join(subs) or '-'} (confirmed)",
                subscribed=subs,
                unsubscribed=unsubs,
            )
        ]

    def _announce(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d) or ChannelName.DEFAULT
        ch = self._s.channels[name]
        ch.snap = replace(ch.snap, announced=True)
        return [self._event(t, name.value, EventKind.CAPTIONS, "announced to voicea (client.annc)")]

    def _shim(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        return [
            self._event(
                t,
                "meeting",
                EventKind.STATE,
                f"driver shim {d.get('name')}: {d.get('reason') or ''}".rstrip(": "),
                shim=d.get("name"),
            )
        ]

    def _captions(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        state = str(d.get("state") or "?")
        shown = {"requested": "requesting"}.get(state, state)
        self._s.captions = shown
        return [self._event(t, "meeting", EventKind.CAPTIONS, f"captions {shown}", captions=shown)]

    def _ping(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        return []  # the pong carries the round trip

    def _pong(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d)
        rtt = d.get("rttMs")
        if name is None or not isinstance(rtt, int | float):
            return []
        ch = self._s.channels[name]
        ch.snap = replace(ch.snap, last_rtt_ms=float(rtt))
        return [self._event(t, name.value, EventKind.RTT, f"rtt {rtt:.2f} ms", rtt_ms=float(rtt))]

    def _frames(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d)
        if name is None:
            return []
        ch = self._s.channels[name]
        fin, fout = d.get("in"), d.get("out")
        ch.snap = replace(
            ch.snap,
            frames_in=fin if isinstance(fin, int) else ch.snap.frames_in,
            frames_out=fout if isinstance(fout, int) else ch.snap.frames_out,
        )
        return []

    def _subscribe(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d) or ChannelName.DEFAULT
        ch = self._s.channels[name]
        subs = tuple(str(x) for x in d.get("subscribe") or ())
        unsubs = tuple(str(x) for x in d.get("unsubscribe") or ())
        wanted = tuple(dict.fromkeys(s for s in (*ch.snap.subscriptions, *subs) if s not in unsubs))
        ch.snap = replace(ch.snap, subscriptions=wanted, requested=wanted)
        return [
            self._event(
                t,
                name.value,
                EventKind.STATE,
                f"subscription requested: {', '.join(subs) or '-'}"
                + (f"; unsubscribe {', '.join(unsubs)}" if unsubs else ""),
                subscriptions=list(subs),
                unsubscribe=list(unsubs),
            )
        ]

    def _caption(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d)
        if name is None:  # voicea's rule: the practice socket while it is connected
            practice = self._s.channels[ChannelName.PRACTICE].snap.state
            name = ChannelName.PRACTICE if practice is ChannelState.ONLINE else ChannelName.DEFAULT
        text = str(d.get("text") or "")
        return [
            self._event(
                t,
                name.value,
                EventKind.TRANSCRIPT,
                text,
                text=text,
                final=bool(d.get("final")),
                transcript_id=d.get("transcriptId"),
            )
        ]

    def _phase(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        s = self._s
        before_phase, before_roles, before_practice = s.phase, s.roles, s.practice
        phase = {
            "joining": Phase.NOT_JOINED,
            "lobby": Phase.LOBBY,
            "joined": Phase.JOINED,
            "left": Phase.LEFT,
        }.get(str(d.get("phase")), s.phase)
        roles = d.get("roles")
        if isinstance(roles, list):
            s.roles = tuple(sorted(str(r) for r in roles))
        if "practiceSession" in d:
            s.practice = bool(d.get("practiceSession"))
        for key, attr in (
            ("participantId", "participant_id"),
            ("locusUrl", "locus_url"),
            ("deviceUrl", "device_url"),
        ):
            value = _str(d.get(key))
            if value:
                setattr(s, attr, value)
        s.phase = phase
        if phase is Phase.LEFT:
            s.left, s.joining = True, False
        elif phase in (Phase.LOBBY, Phase.JOINED):
            s.joining = False
        out: list[CoreEvent] = []
        if phase is not before_phase:
            out.append(self._event(t, "meeting", EventKind.PHASE, f"phase {phase.value}"))
            if before_phase is Phase.LOBBY and phase is Phase.JOINED:
                out.append(self._event(t, "meeting", EventKind.ADMITTED, "admitted from the lobby"))
            if phase is Phase.LEFT:
                out.append(self._event(t, "meeting", EventKind.PHASE, "left the meeting"))
        if s.roles != before_roles and before_roles:
            out.append(
                self._event(t, "meeting", EventKind.ROLES, f"roles {', '.join(s.roles) or '-'}")
            )
        if s.practice != before_practice:
            state = "on" if s.practice else "off"
            out.append(self._event(t, "meeting", EventKind.PHASE, f"practice session {state}"))
        badge = self._badge()
        if not s.timeline or s.timeline[-1].label != badge:
            self._mark(badge, t)
        return out

    def _token(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = _channel(d) or ChannelName.DEFAULT
        kind = TOKEN_OF_CHANNEL.get(name.value, DEFAULT_TOKEN)
        source = TOKEN_SOURCES.get(str(d.get("source")), _str(d.get("source")))
        if source == "fetched" and self._s.tokens[kind].source is not None:
            source = "refreshed"  # as the core says it: a fetch that replaced a held token
        masked = _str(d.get("masked")) or "-"
        exp = d.get("exp")
        exp = float(exp) if isinstance(exp, int | float) else None
        if exp is not None and exp > 1e11:  # ms, not seconds
            exp /= 1000.0
        self._s.tokens[kind] = TokenSnapshot(
            kind, masked, source, self._mono_at(t), exp, None, None, "seen", True
        )
        return [
            self._event(
                t,
                "token",
                EventKind.TOKEN,
                f"{kind} {source} {masked}",
                token_type=kind,
                source=source,
                masked=masked,
            )
        ]

    def _sdk(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        name = str(d.get("name") or "?")
        ch_name = _channel(d)
        if ch_name is not None and name == "mercury_shutdown_imminent":
            ch = self._s.channels[ch_name]
            ch.switching = True
            ch.snap = replace(ch.snap, switchover="opening replacement")
            return [
                self._event(
                    t,
                    ch_name.value,
                    EventKind.SWITCHOVER,
                    "shutdown received: opening a replacement socket",
                )
            ]
        if ch_name is not None and name == "mercury_shutdown_switchover_failed":
            ch = self._s.channels[ch_name]
            ch.switching = False
            ch.snap = replace(ch.snap, switchover=None)
            why = (d.get("data") or {}).get("reason") if isinstance(d.get("data"), dict) else None
            return [
                self._event(
                    t,
                    ch_name.value,
                    EventKind.SWITCHOVER,
                    f"replacement failed ({why or '?'})",
                    failed=True,
                )
            ]
        if name == "mercury_shutdown_switchover_complete":
            return []  # the socket.online line with switchover=true says it
        data = d.get("data")
        extra = {"data": data} if isinstance(data, dict | list | str | int | float | bool) else {}
        return [self._event(t, "meeting", EventKind.STATE, f"sdk {name}", sdk_event=name, **extra)]

    def _error(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        kind = str(d.get("kind") or "sdk")
        message = f"{kind}: {d.get('message') or '?'}"
        if not any(n in message for n in HARMLESS):  # logged, but not the card's last error
            self._s.last_error = message
        return [self._event(t, "meeting", EventKind.ERROR, message, error_kind=kind)]

    def _netguard(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        where = f"{d.get('host')}" + (f":{d.get('port')}" if d.get("port") is not None else "")
        message = f"network guard refused {d.get('api') or '?'} to {where} (not loopback)"
        self._s.last_error = message
        return [self._event(t, "meeting", EventKind.ERROR, message, host=d.get("host"))]

    def _exit(self, t: float, d: Mapping[str, Any]) -> list[CoreEvent]:
        code = d.get("code")
        self._s.exited = code if isinstance(code, int) else -1
        out: list[CoreEvent] = []
        for ch in self._s.channels.values():
            if ch.snap.state is not ChannelState.OFFLINE:
                out += self._set_state(t, ch, ChannelState.OFFLINE, online_since=None)
        out.append(self._event(t, "meeting", EventKind.STATE, f"SDK driver exited ({code})"))
        return out

    # -- the snapshot -------------------------------------------------------------------------
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

    def _channels_now(self) -> dict[ChannelName, ChannelSnapshot]:
        """With voicea's publish transport: the practice socket while it is connected, else
        the default one (internal-plugin-voicea/src/voicea.ts:285 getPublishTransport)."""
        chans = {name: ch.snap for name, ch in self._s.channels.items()}
        practice_up = chans[ChannelName.PRACTICE].state is ChannelState.ONLINE
        default_up = chans[ChannelName.DEFAULT].state is ChannelState.ONLINE
        for name, up in (
            (ChannelName.PRACTICE, practice_up),
            (ChannelName.DEFAULT, default_up and not practice_up),
        ):
            chans[name] = replace(chans[name], publish_transport=up)
        return chans

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


def classify_http(
    method: str, url: str, d: Mapping[str, Any] | None = None
) -> tuple[str, str | None]:
    """(what, data channel) of one SDK request, by its URL (the driver may also say)."""
    d = d or {}
    given_what, given_channel = _str(d.get("what")), _str(d.get("channel"))
    path = urlsplit(url).path.rstrip("/")
    if given_what:
        return given_what, given_channel
    if path.endswith("/datachannel/token") or path.endswith("/practiceSessionDatachannel/token"):
        return "token", "practice" if "practice" in path.lower() else "default"
    if "/datachannel" in path and method == "POST":
        return "register", given_channel or _dc_channel(path)
    if path.endswith("/leave"):
        return "leave", None
    if path.lower().endswith("/keepalive"):
        return "keepalive", None
    if path.endswith("/devices") and method == "POST":
        return "device", None
    if "/devices/" in path and method == "DELETE":
        return "device unregister", None
    if method == "POST" and (path.endswith("/loci/call") or path.endswith("/participant")):
        return "join", None
    if path.endswith("/controls") and method == "PUT":
        return "captions", None
    if path.endswith("/meetingInfo"):
        return "meeting info", None
    if "/catalog" in path:
        return "catalog", None
    if "/loci/" in path and method == "GET":
        return "resync", None
    segments = [p for p in path.split("/") if p]
    return (segments[0] if segments else "http"), None


def _dc_channel(path: str) -> str:
    """default or practice, from a datachannel URL: plain, or (the simulator's shape) with
    the locus URL base64-encoded in one segment."""
    if "practice" in path.lower():
        return "practice"
    for segment in path.split("/"):
        if len(segment) < 16:
            continue
        try:
            text = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            continue
        if "practice" in text.lower():
            return "practice"
    return "default"


def _channel(d: Mapping[str, Any]) -> ChannelName | None:
    try:
        return ChannelName(str(d.get("channel")))
    except ValueError:
        return None


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


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
