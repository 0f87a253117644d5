"""One socket: connect -> authorization -> online -> acks, ping/pong, relays -> close.

The connection owns nothing beyond its socket; the channel reconciler creates one per
attempt and reads the outcome. Faults the user injects (reset, half-open) act on the
transport so the code path afterwards is exactly the one a real network failure takes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from app.core import close_codes
from app.core import protocol as p
from app.core.ping_coordinator import PingCoordinator
from app.core.redact import redacting_logger
from app.core.settings import Settings
from app.core.transport import (
    InsecureTransportError,
    TransportPolicy,
    describe_resolution_error,
    describe_tls_error,
)

_WS_LOG = redacting_logger("app.core.websockets")
TRANSPORT_MAX_BYTES = 16 << 20  # frames above settings.max_frame_bytes are dropped by parse_frame


class ConnectRefused(Exception):
    """The upgrade was refused with an HTTP status (404: the webSocketUrl is no longer valid)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"socket upgrade refused with HTTP {status}")
        self.status = status


class ConnectFailed(Exception):
    """No socket could be opened (refused, timed out, bad URL); the message says which."""


@dataclass(frozen=True)
class Outcome:
    """How a connection ended."""

    online: bool  # it had reached online
    code: int  # 1006 when no close frame came (as the SDK's `ws` reports it), never None
    reason: str
    decision: close_codes.CloseDecision
    by_client: bool  # the client closed it (pong timeout, user drop)


class Listener:
    """What a connection reports to its channel. Every method is synchronous: no awaits."""

    def frame_counts(self, frames_in: int, frames_out: int) -> None: ...
    def authorizing(self) -> None: ...
    def online(self, connect_ms: float) -> None: ...
    def rtt(self, ms: float) -> None: ...
    def frame(self, frame: p.Frame) -> None: ...
    def bad_input(self, message: str) -> None: ...
    def sequence_gap(self, expected: int, got: int) -> None: ...
    def shutdown(self) -> None: ...
    def missing_id(self, what: str) -> None: ...


class Connection:
    def __init__(
        self,
        settings: Settings,
        user_token: str,
        listener: Listener,
        policy: TransportPolicy | None = None,
        ssl_context: ssl.SSLContext | None = None,
        pings: PingCoordinator | None = None,
    ) -> None:
        """`pings`: the client's coordinator, shared by all its sockets (one of its own
        when None: then nothing holds this socket's pings)."""
        self._s = settings
        self._pings = pings or PingCoordinator(settings.ping_hold_max, settings.ping_gap)
        self.retired = False  # replaced by a switchover: its close is expected
        self.shutdown_seen = False  # the server sent `shutdown` on it
        self._user_token = user_token
        self._listener = listener
        self._policy = policy or TransportPolicy()
        self._ssl = ssl_context
        self._ws: ClientConnection | None = None
        self._frames_in = 0
        self._frames_out = 0
        self._last_seq: int | None = None
        self._pending_ping: tuple[str, int, asyncio.Future[int]] | None = None
        self._client_close: tuple[int, str] | None = None
        self._online = False
        self._first_seen = False

    @property
    def online(self) -> bool:
        return self._online

    # -- the life of one socket --
    async def open(self, web_socket_url: str, aware: bool = True) -> None:
        """`aware`: add subscriptionAwareSubchannels (only with the JWT feature on; llm.ts)."""
        subchannels = self._s.subchannels if aware else ()
        try:
            url = p.connect_url(web_socket_url, int(time.time() * 1000), subchannels)
            self._policy.check(url)  # before any connection: nothing leaves in plain text
            parts = urlsplit(url)
        except InsecureTransportError as exc:
            raise ConnectFailed(str(exc)) from None
        except ValueError:
            raise ConnectFailed(f"not a valid socket URL: {web_socket_url[:100]!r}") from None
        secure = parts.scheme.lower() == "wss"
        try:
            self._ws = await connect(
                url,
                ssl=(self._ssl or self._policy.ssl_context()) if secure else None,
                logger=_WS_LOG,  # websockets logs frames at DEBUG: the auth frame is redacted
                open_timeout=self._s.connect_timeout,
                ping_interval=None,  # the protocol has its own JSON ping/pong
                close_timeout=self._s.force_close_delay,
                max_size=TRANSPORT_MAX_BYTES,
                compression=None,
                proxy=None,  # loopback and explicit servers only; never an env proxy
                user_agent_header=f"dcmon ({self._s.tracking_prefix})",
            )
        except InvalidStatus as exc:
            raise ConnectRefused(exc.response.status_code) from None
        except (OSError, TimeoutError, WebSocketException, ValueError) as exc:
            raise ConnectFailed(_describe_connect_error(exc, parts.hostname)) from None

    async def run(self) -> Outcome:
        """Handshake, then serve until the socket closes. Always returns an Outcome."""
        ws = self._ws
        assert ws is not None, "open() first"
        started = time.perf_counter()
        pinger: asyncio.Task[None] | None = None
        try:
            self._listener.authorizing()
            await self._send(p.authorization_frame(self._user_token, self._s.tracking_prefix))
            async with asyncio.timeout(self._s.connect_timeout):
                while not self._online:
                    await self._receive(ws)
            self._listener.online((time.perf_counter() - started) * 1000)
            pinger = asyncio.get_running_loop().create_task(self._ping_loop(), name="ping")
            burst = 0
            while True:
                await self._receive(ws)
                burst += 1
                if burst == 16:  # recv() does not yield while frames are queued: let others run
                    burst = 0
                    await asyncio.sleep(0)
        except TimeoutError:
            await self.close(1000, "online not reached in time")
            return self._outcome()
        except ConnectionClosed:
            return self._outcome()
        finally:
            if pinger is not None:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger

    async def send(self, text: str) -> None:
        """Send a frame; raises ConnectionClosed if the socket is closed or closing."""
        await self._send(text)

    async def close(self, code: int, reason: str) -> None:
        """Close with a close frame; completed locally after forceCloseDelay without an answer."""
        ws = self._ws
        if ws is None:
            return
        if self._client_close is None:
            self._client_close = (code, reason)
        with contextlib.suppress(Exception):
            await ws.close(code, reason)
        if ws.transport is not None and not ws.transport.is_closing():
            ws.transport.abort()

    # -- faults the user injects on the client side --
    def reset(self) -> None:
        """Drop the TCP connection with no close frame, as a network failure would."""
        if self._ws is not None and self._ws.transport is not None:
            self._ws.transport.abort()

    def half_open(self) -> None:
        """Stop reading: nothing from the server reaches us any more, TCP stays up."""
        if self._ws is not None and self._ws.transport is not None:
            self._ws.transport.pause_reading()

    def start_close(self, code: int, reason: str) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(self.close(code, reason), name="close")

    # -- internals --
    async def _send(self, text: str) -> None:
        assert self._ws is not None
        await self._ws.send(text)
        self._frames_out += 1
        self._listener.frame_counts(self._frames_in, self._frames_out)

    async def _receive(self, ws: ClientConnection) -> None:
        raw = await ws.recv()
        received_ns = time.perf_counter_ns()  # stamped before parsing: an honest RTT
        ack = self._handle(raw, received_ns)
        if ack is not None:
            await self._send(p.ack_frame(ack))  # in order, from the reader: no task per frame

    def _handle(self, raw: Any, received_ns: int) -> str | None:
        """Act on one inbound frame; return the id to ack, if any."""
        self._frames_in += 1
        self._listener.frame_counts(self._frames_in, self._frames_out)
        try:
            frame = p.parse_frame(raw, self._s.max_frame_bytes)
        except p.ProtocolError as exc:
            self._listener.bad_input(str(exc))
            return None
        if frame.id is None:
            # every server frame carries an id: the SDK's _acknowledge rejects one without
            # (unhandled, fatal in Node); dcmon reports it and carries on
            self._listener.missing_id(_kind(frame))
        if frame.sequence_number is not None:
            last = self._last_seq
            if last is not None and frame.sequence_number != last + 1:
                self._listener.sequence_gap(last + 1, frame.sequence_number)
            self._last_seq = frame.sequence_number
        if not self._online and not self._first_seen and not isinstance(frame, p.Pong):
            # only the first message is looked at (socket-base.js: this.once('message'))
            self._first_seen = True
            if isinstance(frame, p.OnlineFrame):
                self._online = True
                return frame.id
            self._listener.bad_input(
                f"first frame was not mercury.buffer_state ({_kind(frame)}): this socket "
                "will not come online (as the SDK)"
            )
        if isinstance(frame, p.OnlineFrame):
            pass  # a later buffer_state changes nothing
        elif not self._online:
            if isinstance(frame, p.Shutdown):
                self._listener.bad_input("shutdown frame on a socket that is not online: ignored")
            # nothing else counts before online
        elif isinstance(frame, p.Shutdown):
            if not self.shutdown_seen and not self.retired:
                self.shutdown_seen = True
                self._listener.shutdown()
            else:
                self._listener.bad_input("repeated shutdown frame: a switchover is under way")
        elif isinstance(frame, p.Pong):
            self._pong(frame, received_ns)
        else:
            self._listener.frame(frame)
        return frame.id

    def _pong(self, pong: p.Pong, received_ns: int) -> None:
        pending = self._pending_ping
        if pending is None:
            self._listener.bad_input("pong with no ping outstanding (ignored)")
            return
        ping_id, _, future = pending
        if not future.done():
            future.set_result(received_ns if pong.id == ping_id else -1)

    async def _ping_loop(self) -> None:
        """The first ping at online (socket-base.js `_authorize` -> `_ping()`), the next one
        pingInterval after each pong (`_ping` -> `pingInterval` timer), each sent through
        the client's coordinator: held while another socket of the client has a ping in
        flight (at most ping_hold_max), so the sockets never measure each other. The pong
        timeout runs from the real send."""
        loop = asyncio.get_running_loop()
        first = True
        while True:
            if not first:
                await asyncio.sleep(self._s.ping_interval)  # the protocol's schedule
            first = False
            await self._pings.acquire(self)
            answered = False
            try:
                ping_id = p.new_id()
                future: asyncio.Future[int] = loop.create_future()
                sent_ns = time.perf_counter_ns()
                self._pending_ping = (ping_id, sent_ns, future)
                await self._send(p.ping_frame(ping_id))
                async with asyncio.timeout(self._s.pong_timeout):  # lighter than wait_for
                    received_ns = await future
                if received_ns < 0:
                    self.start_close(1000, "Pong mismatch")
                    return
                answered = True
                self._listener.rtt((received_ns - sent_ns) / 1e6)
            except ConnectionClosed:
                return
            except TimeoutError:
                self.start_close(1000, "Pong not received")
                return
            finally:
                self._pending_ping = None
                self._pings.release(self, answered)  # after the RTT is out: then the next

    def _outcome(self) -> Outcome:
        ws = self._ws
        exc = ws.close_exc if ws is not None else None
        rcvd = getattr(exc, "rcvd", None)
        if self._client_close is not None:
            code, reason = self._client_close
            by_client = True
        elif rcvd is not None:
            code, reason, by_client = rcvd.code, rcvd.reason, False
        else:
            code, reason, by_client = (
                close_codes.NO_CLOSE_FRAME,
                "connection lost (no close frame)",
                False,
            )
        decision = close_codes.classify_close(
            code,
            reason,
            self._online,
            retired=self.retired,
            after_shutdown=self.shutdown_seen,
        )
        return Outcome(
            self._online, close_codes.fix_close_code(code, reason), reason, decision, by_client
        )


def _kind(frame: p.Frame) -> str:
    if isinstance(frame, p.OtherFrame):
        return frame.type or frame.event_type or "no type"
    return type(frame).__name__


def _describe_connect_error(exc: BaseException, host: str | None = None) -> str:
    known = describe_tls_error(exc) or describe_resolution_error(exc, host)
    if known:
        return f"socket: {known}"
    if isinstance(exc, TimeoutError):
        return "socket did not open in time"
    if isinstance(exc, ConnectionRefusedError):
        return "socket connection refused (server down)"
    if isinstance(exc, OSError):
        return f"socket connection failed ({exc.strerror or type(exc).__name__})"
    return f"socket could not open ({type(exc).__name__}: {exc})"
