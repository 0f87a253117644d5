"""The translator's meeting lines: ready, command results, HTTP, phase, tokens, captions
state, SDK events, errors, the network guard and the driver's exit (sdkclient/LINES.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.clients.sdk_capabilities import HARMLESS
from app.clients.sdk_state import (
    DEFAULT_TOKEN,
    TOKEN_OF_CHANNEL,
    TOKEN_SOURCES,
    _channel,
    _num,
    _State,
    _str,
    classify_http,
)
from app.core.events import (
    ChannelName,
    ChannelState,
    CoreEvent,
    EventKind,
    TokenSnapshot,
)
from app.core.locus import Phase


class MeetingLines:
    """Mixed into SdkTranslator: handlers of meeting-level lines (state in `self._s`)."""

    _s: _State

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
        practice = s.channels[ChannelName.PRACTICE]
        wanted = "PANELIST" in s.roles and s.practice and s.phase is Phase.JOINED
        if not wanted and practice.snap.state is ChannelState.ERROR:
            # no longer eligible: the SDK drops the practice channel it could not open
            # (webinar/index.ts updatePSDataChannel -> cleanupPSDataChannel); no retry is due
            out += self._set_state(t, practice, ChannelState.OFFLINE, detail="not eligible")
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
