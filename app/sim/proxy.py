"""A small TCP fault proxy in front of uvicorn, on Toxiproxy's model.

The simulator's public port is this proxy; each accepted connection gets its own upstream
connection to uvicorn's internal loopback port. uvicorn reports the upstream socket's local
port as `scope["client"][1]`, so a WebSocket endpoint can find its TCP link here and apply
what an ASGI app cannot: reset (RST, no close frame), half-open (black hole) and latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl as ssl_
import struct

log = logging.getLogger("app.sim.proxy")

_CHUNK = 64 * 1024
_QUEUE_CHUNKS = 256  # bounded: a client that stops reading pushes back on the server
_EOF = None


class ProxyConn:
    """One client connection and its upstream twin."""

    def __init__(
        self,
        proxy: FaultProxy,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self._proxy = proxy
        self._client_reader, self._client_writer = client
        self._up_reader, self._up_writer = upstream
        self.upstream_port: int = self._up_writer.get_extra_info("sockname")[1]
        self.latency_ms = 0
        self.halfopen = False
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        to_up: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(_QUEUE_CHUNKS)
        to_client: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(_QUEUE_CHUNKS)
        self._tasks = [
            loop.create_task(self._read(self._client_reader, to_up, delayed=False)),
            loop.create_task(self._write(to_up, self._up_writer)),
            # the added latency is one-way (server -> client), so "50 ms" adds 50 ms to an RTT
            loop.create_task(self._read(self._up_reader, to_client, delayed=True)),
            loop.create_task(self._write(to_client, self._client_writer)),
        ]
        try:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            self._close_transports(abort=False)

    async def _read(
        self,
        reader: asyncio.StreamReader,
        queue: asyncio.Queue[tuple[float, bytes] | None],
        delayed: bool,
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    break
                if self.halfopen:
                    continue  # black hole: read and drop, keep the TCP connection open
                delay = self.latency_ms / 1000 if delayed else 0.0
                await queue.put((loop.time() + delay, data))
        except (ConnectionError, OSError):
            pass
        # The TCP connection itself ending is passed on even while half-open.
        await queue.put(_EOF)

    async def _write(
        self, queue: asyncio.Queue[tuple[float, bytes] | None], writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await queue.get()
                if item is _EOF:
                    break
                due, data = item
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)  # FIFO queue: order is kept
                if self.halfopen:
                    continue
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        # One side finished or broke: end the whole link.
        self._close_transports(abort=False)

    def _close_transports(self, abort: bool) -> None:
        if self._closed:
            return
        self._closed = True
        for writer in (self._client_writer, self._up_writer):
            with contextlib.suppress(Exception):
                if abort:
                    writer.transport.abort()
                else:
                    writer.close()
        self._proxy._forget(self)
        # The pumps of the other direction may wait on a full queue or a dead reader.
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()

    def set_latency(self, ms: int) -> None:
        self.latency_ms = max(0, ms)

    def set_halfopen(self) -> None:
        self.halfopen = True

    def reset(self) -> None:
        """RST to the client (SO_LINGER 0, no close frame) and drop the upstream."""
        sock = self._client_writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._close_transports(abort=True)

    def close(self) -> None:
        self._close_transports(abort=False)


class FaultProxy:
    """Listens on the public socket and forwards to uvicorn at upstream_host:upstream_port."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server: asyncio.Server | None = None
        self._conns: dict[int, ProxyConn] = {}
        self._handlers: set[asyncio.Task[None]] = set()
        self._closing = False
        self._forgotten = asyncio.Event()

    async def start(self, sock: socket.socket, ssl: ssl_.SSLContext | None = None) -> None:
        """Serve on `sock`; with `ssl`, TLS ends here and uvicorn behind stays plain."""
        self._server = await asyncio.start_server(
            self._accept, sock=sock, ssl=ssl, ssl_handshake_timeout=10 if ssl else None
        )

    def kill(self) -> None:
        """The server dies: stop accepting and reset every link (no close frame, no answer)."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns.values()):
            conn.reset()

    def conn(self, upstream_port: int | None) -> ProxyConn | None:
        return self._conns.get(upstream_port) if upstream_port is not None else None

    @property
    def connections(self) -> int:
        return len(self._conns)

    def _forget(self, conn: ProxyConn) -> None:
        if self._conns.get(conn.upstream_port) is conn:
            del self._conns[conn.upstream_port]
        event, self._forgotten = self._forgotten, asyncio.Event()
        event.set()

    async def wait_gone(self, upstream_ports: list[int], timeout: float) -> None:
        """Wait (bounded) until those links ended, e.g. after their close handshake."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(port in self._conns for port in upstream_ports):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._forgotten.wait(), remaining)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            try:
                upstream = await asyncio.open_connection(*self._upstream)
            except OSError as exc:
                log.warning("proxy: upstream connect failed: %s", exc)
                writer.close()
                return
            if self._closing:
                upstream[1].close()
                writer.close()
                return
            conn = ProxyConn(self, (reader, writer), upstream)
            # Registered before any byte flows, so uvicorn's handler always finds it.
            self._conns[conn.upstream_port] = conn
            await conn.run()
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def close(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns.values()):
            conn.close()
        # Closed links end their handlers; cancelling those would only log noise (asyncio
        # reports a cancelled client_connected_cb task as an error).
        handlers = list(self._handlers)
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=2)
            for task in pending:
                task.cancel()
        if self._server is not None:
            # wait_closed() also waits for handlers' transports; they are closed by now.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)
            self._server = None
