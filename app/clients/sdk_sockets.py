"""The translator's socket lines: opening, online, closed, mercury's offline decision, the
shutdown switchover, pongs, frame counts, subscriptions and captions (sdkclient/LINES.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from app.clients.sdk_state import _SDK_DECISIONS, _Channel, _channel, _State, _str
from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CloseInfo,
    CoreEvent,
    EventKind,
)


class SocketLines:
    """Mixed into SdkTranslator: handlers of per-socket lines (state in `self._s`)."""

    _s: _State
    _pending_close: dict[ChannelName, tuple[float, int | None, str]]

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
        # the event waits for mercury's decision, the driver's next line (socket.offline)
        self._pending_close[name] = (t, code, reason)
        return out

    def flush_close(self, name: ChannelName, action: str | None = None) -> list[CoreEvent]:
        """The CLOSED event of a close, with the SDK's decision when its offline.* line came
        right after (any other line first: the SDK decided nothing, e.g. a failed handshake)."""
        pending = self._pending_close.pop(name, None)
        if pending is None:
            return []
        t, code, reason = pending
        summary = f"closed {code} {reason!r}" + (f" -> {action}" if action else "")
        data: dict[str, Any] = {"code": code, "reason": reason}
        if action is not None:
            data["action"] = action
        return [self._event(t, name.value, EventKind.CLOSED, summary, **data)]

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
        if name in self._pending_close:
            out = self.flush_close(name, action)
        elif ch.snap.state in (ChannelState.ONLINE, ChannelState.CONNECTING):
            # mercury gave up on a socket whose close never completed (half-open: its own
            # `Pong not received` close finds no peer): the offline line is all there is
            code = d.get("code") if isinstance(d.get("code"), int) else None
            reason = str(d.get("reason") or "")
            info = CloseInfo(code, reason, None, action, self._mono_at(t))  # type: ignore[arg-type]
            ch.snap = replace(ch.snap, last_close=info, online_since=None, confirmed=())
            self._pending_close[name] = (t, code, reason)
            out = self.flush_close(name, action)
        else:
            out = []
        if ch.snap.last_close is not None:
            ch.snap = replace(ch.snap, last_close=replace(ch.snap.last_close, action=action))
        out += self._set_state(t, ch, state)
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
