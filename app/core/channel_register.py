"""What a channel does before it opens a socket: the handshake table's refresh actions (4401,
1005), then its token and the registration POST, cached per desired key (PROTOCOL.md s. 3-4).
A mixin of `Channel`."""

from __future__ import annotations

from collections.abc import Awaitable

from app.core import answers, close_codes
from app.core.desired import ChannelHost, Desired
from app.core.events import ChannelName, ChannelSnapshot, ChannelState, EventKind
from app.core.http import HttpError
from app.core.registration import register


class ChannelRegistration:
    name: ChannelName
    _host: ChannelHost
    _registration: tuple[tuple[int, str, str | None], answers.Registration] | None
    _refresh: close_codes.CloseAction | None

    snapshot: ChannelSnapshot

    async def _act_on_refresh(self) -> None:
        """The handshake table's actions (4401: credentials, 1005: device registration)."""
        action, self._refresh = self._refresh, None
        if action is close_codes.CloseAction.REFRESH_AUTH:
            self._emit(EventKind.STATE, "handshake 4401: refreshing the user's credentials")
            await self._host.refresh_credentials()
        elif action is close_codes.CloseAction.REFRESH_DEVICE:
            self._emit(EventKind.STATE, "handshake 1005: refreshing the device registration")
            await self._host.refresh_device()

    async def _registered(self, d: Desired) -> answers.Registration:
        if self._registration is not None and self._registration[0] == d.key:
            return self._registration[1]
        assert d.token_type is not None
        host, kind = self._host, d.token_type
        device_url = host.device_url
        if device_url is None:
            raise HttpError("register", "no device registered")

        def fetch() -> Awaitable[str]:
            return host.fetch_token(kind, d.generation)

        slot = None
        if d.jwt:  # feature off: no token fetch, no header (llm.ts register)
            slot = host.tokens.get(kind)
            if slot is None or host.tokens.expired(slot):
                self._set(ChannelState.FETCHING_TOKEN, detail=f"{kind} token")
                slot = await host.tokens.obtain(kind, fetch)  # refresh before use (T1)
        self._set(ChannelState.REGISTERING, detail="registration POST")
        result = await register(
            host.http,
            host.tokens,
            d.url,
            device_url,
            slot,
            kind,
            fetch,
            host.settings.auth_retry_delay,
            on_refusal=lambda status, delay: self._emit(
                EventKind.HTTP,
                f"registration refused ({status}): refreshing token in {delay:g} s, "
                "then retrying once",
                status=status,
            ),
        )
        reg = result.registration
        self._registration = (d.key, reg)
        self._set(
            registration_url=d.url,
            web_socket_url=reg.web_socket_url.split("?")[0],
            binding=reg.binding,
            register_ms=result.ms,
            registrations=self.snapshot.registrations + 1,
        )
        retried = " after refresh + retry" if result.retried else ""
        self._emit(
            EventKind.HTTP,
            f"registered in {result.ms:.0f} ms{retried}",
            what="register",
            ms=result.ms,
            retried=result.retried,
        )
        return reg
