"""voicea on one socket: the announcement (`client.annc`) and the subscription requests,
kept equal to what the channel's desired state says this socket should have (PROTOCOL.md
s. 5). A new socket starts with nothing. A mixin of `Channel`."""

from __future__ import annotations

from websockets.exceptions import ConnectionClosed

from app.core import answers
from app.core import protocol as p
from app.core.connection import Connection
from app.core.desired import ChannelHost, Desired
from app.core.events import ChannelName, EventKind


class VoiceaSync:
    name: ChannelName
    _host: ChannelHost
    _conn: Connection | None
    _serving: Desired | None
    _desired: Desired | None
    _registration: tuple[tuple[int, str, str | None], answers.Registration] | None
    _requested: tuple[str, ...]
    _announced: bool

    def _sync_subs(self, force: bool = False) -> None:
        """Bring this socket's requested subscriptions to what is desired (PROTOCOL.md s. 5)."""
        plan = self._voicea_plan(force)
        if plan is not None:
            self._spawn(self._send_voicea(*plan))

    async def sync_subs_now(self) -> None:
        """As _sync_subs, sending from the caller's task: the request leaves now, not after
        everything else the loop has ready (captions just turned on: the subscription is what
        the user waits for)."""
        plan = self._voicea_plan(False)
        if plan is not None:
            await self._send_voicea(*plan)

    def _voicea_plan(
        self, force: bool
    ) -> tuple[Connection, str, str | None, tuple[str, ...], tuple[str, ...]] | None:
        """What to send on this socket now (and the state that says it was asked), or None."""
        conn, d = self._conn, self._serving
        if conn is None or not conn.online or d is None:
            return None
        now = self._desired
        if now is not None and now.key == d.key:
            d = now  # the newest details, even before the reconciler has woken
        want = d.subscriptions if d.jwt else ()  # feature off: no subscription (voicea.ts)
        announce = None
        if d.announce and not self._announced:
            binding = self._registration[1].binding if self._registration else None
            if binding:
                announce, self._announced = binding, True
            elif d.token_type is not None:
                self._emit(EventKind.CAPTIONS, "no binding from the registration: no announce")
        add = tuple(s for s in want if s not in self._requested)
        remove = tuple(s for s in self._requested if s not in want)
        if not (announce or add or remove or force):
            return None
        self._requested = want
        self._set(requested=want, announced=self._announced, publish_transport=d.announce)
        return conn, d.url, announce, add, remove

    async def _send_voicea(
        self,
        conn: Connection,
        url: str,
        announce: str | None,
        add: tuple[str, ...],
        remove: tuple[str, ...],
    ) -> None:
        prefix = self._host.settings.tracking_prefix
        try:
            if announce is not None:
                await conn.send(p.announce_frame(self._host.voicea_seq(), announce, prefix))
                self._emit(EventKind.CAPTIONS, "announced to voicea (client.annc)")
            if add or remove:
                seq = self._host.voicea_seq()
                await conn.send(p.subscription_frame(seq, url, list(add), list(remove), prefix))
        except ConnectionClosed:
            if conn is self._conn:
                self._requested = ()
            message = "subscription request failed: socket closed; will resubscribe when online"
            self._set(last_error=message)
            self._emit(EventKind.SUBSCRIBE_FAILED, message, subscriptions=list(add))
            return
        if add:
            self._emit(EventKind.STATE, f"subscription requested: {', '.join(add)}")
        if remove:
            self._emit(EventKind.STATE, f"unsubscribe requested: {', '.join(remove)}")
