"""Running the simulator: on the current loop, in its own thread, or standalone."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import logging
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn

from app.sim.app import build_app
from app.sim.engine import SimEngine
from app.sim.model import SimModel
from app.sim.proxy import FaultProxy
from app.sim.tls import TlsFiles
from app.sim.tokens import RedactingFilter, TokenMint
from app.sim.views import state_view

log = logging.getLogger("app.sim")

T = TypeVar("T")
DEMO_MEETING = "demo-1"
DEMO_CAPTION_RATE = 1.0  # captions run once a client turns them on: no extra click


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: it would re-raise SIGINT and kill a host GUI."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _DenialNoiseFilter(logging.Filter):
    """uvicorn logs this error after every honest 404 denial of a WebSocket upgrade."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != "ASGI callable returned without completing handshake."


def _install_log_filter() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DenialNoiseFilter) for f in logger.filters):
        logger.addFilter(_DenialNoiseFilter())
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())


def _loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"the simulator only listens on loopback addresses, not {host!r}")


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP; with proto 0, Nagle plus delayed ACKs add ~40 ms to every small answer.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _describe(predicate: Callable[..., Any]) -> str:
    try:
        source = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        source = getattr(predicate, "__qualname__", repr(predicate))
    return " ".join(source.split())[:200]


@dataclass(frozen=True)
class SimStore:
    """What a backend keeps across a restart: meetings, participants, devices, issued tokens
    and webSocketUrl keys (the model), and the key that signs its tokens."""

    model: SimModel
    mint: TokenMint


class Simulator:
    """The backend simulator on the current asyncio loop (uvicorn behind a fault proxy).

    `tls`: serve https/wss (TLS ends at the fault proxy). `store`: start on the state of a
    previous simulator (same host and port), as a backend restarted after a crash would.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        user_token: str | None = None,
        tls: TlsFiles | ssl.SSLContext | None = None,
        store: SimStore | None = None,
    ):
        self.host = _loopback(host)
        self.port = port
        self.user_token = user_token
        self.tls = tls
        self._store = store
        self.engine: SimEngine | None = None
        self.proxy: FaultProxy | None = None
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._base_url: str | None = None
        self._stopped = False

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("the simulator is not started")
        return self._base_url

    async def start(self) -> str:
        if self._base_url is not None:
            return self._base_url
        _install_log_filter()
        public = _listen(self.host, self.port)
        try:
            internal = _listen("127.0.0.1", 0)
        except OSError:
            public.close()
            raise
        port = public.getsockname()[1]
        url_host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls is not None else "http"
        base_url = f"{scheme}://{url_host}:{port}"
        self.proxy = FaultProxy("127.0.0.1", internal.getsockname()[1])
        store = self._store
        try:
            self.engine = SimEngine(
                base_url,
                self.user_token,
                self.proxy,
                store.model if store else None,
                store.mint if store else None,
            )
        except ValueError:
            public.close()
            internal.close()
            raise
        if store is not None:
            self.engine.resume()
        self.port = port
        config = uvicorn.Config(
            build_app(self.engine),
            log_config=None,  # never reconfigure the host application's logging
            access_log=False,
            lifespan="off",
            ws="websockets-sansio",
            ws_ping_interval=None,  # the client pings; server pings would skew its view
            ws_ping_timeout=None,
            ws_max_size=16 * 1024 * 1024,  # the 1 MiB limit is applied (ignore) by the app
            timeout_graceful_shutdown=2,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve([internal]))
        while not self._server.started:  # startup only: uvicorn offers no event for it
            if self._task.done():
                public.close()
                internal.close()
                raise RuntimeError(f"simulator failed to start: {self._task.exception()!r}")
            await asyncio.sleep(0.005)
        tls = self.tls.server_context() if isinstance(self.tls, TlsFiles) else self.tls
        await self.proxy.start(public, tls)
        self._base_url = base_url
        log.info("simulator listening on %s", base_url)
        return base_url

    async def stop(self) -> None:
        if self._stopped or self._base_url is None:
            self._stopped = True
            return
        self._stopped = True
        assert self.engine is not None and self.proxy is not None and self._server is not None
        # Sockets that can still answer get a clean close handshake before the links go.
        answering = [
            s.client_port
            for s in self.engine.model.sockets.values()
            if s.state == "open" and s.client_port is not None
        ]
        await self.engine.shutdown()
        await self.proxy.wait_gone(answering, timeout=1.0)
        self._server.should_exit = True
        await self.proxy.close()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
            except TimeoutError:
                log.warning("uvicorn did not stop in time; cancelling it")
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
        log.info("simulator on %s stopped", self._base_url)

    async def kill(self) -> None:
        """Die abruptly: every TCP link reset (no close frame, no HTTP answer), then stop."""
        if self.proxy is not None and not self._stopped:
            self.proxy.kill()
        await self.stop()

    @property
    def store(self) -> SimStore:
        """The state a restarted backend would come back with."""
        if self.engine is None:
            raise RuntimeError("the simulator is not started")
        return SimStore(self.engine.model, self.engine.mint)

    async def restarted(self, kill: bool = True) -> Simulator:
        """Stop (or kill) this one; start a new one on the same address with the same state."""
        store = self.store
        await (self.kill() if kill else self.stop())
        new = Simulator(self.host, self.port, self.user_token, self.tls, store)
        await new.start()
        return new

    def issued_tokens(self) -> list[str]:
        """Every datachannel token this simulator minted, raw: for leak tests only."""
        if self.engine is None:
            raise RuntimeError("the simulator is not started")
        return self.engine.mint.minted()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def state_view(self, meeting_id: str) -> dict[str, Any]:
        """What `GET /sim/meetings/{id}` answers; KeyError for an unknown meeting."""
        if self.engine is None:
            raise RuntimeError("the simulator is not started")
        meeting = self.engine.model.meetings.get(meeting_id)
        if meeting is None:
            raise KeyError(f"unknown meeting {meeting_id!r}")
        return state_view(self.engine.model, meeting)

    async def wait_for(self, predicate: Callable[[Simulator], T], timeout: float = 5.0) -> T:
        """Wait until predicate(sim) is truthy; re-checked on every state change.

        A LookupError (KeyError, IndexError) inside the predicate counts as "not yet", so
        `lambda s: s.state_view("L1")["participants"][0]` simply waits for the first join.
        """
        if self.engine is None:
            raise RuntimeError("the simulator is not started")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last: Any = None
        while True:
            event = self.engine.signal.event  # taken before the check: no lost wake-up
            try:
                value = predicate(self)
            except LookupError as exc:
                value, last = None, exc
            else:
                last = value
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"simulator condition not met within {timeout:g} s: {_describe(predicate)}"
                    f" (last result: {last!r:.200})"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)


class SimulatorThread:
    """The same server in its own thread and loop, so a frozen server never freezes a GUI."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        user_token: str | None = None,
        tls: TlsFiles | ssl.SSLContext | None = None,
    ):
        self.simulator = Simulator(host, port, user_token, tls)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return self.simulator.base_url

    def start(self, timeout: float = 10.0) -> str:
        if self._thread is not None:
            return self.base_url
        self._thread = threading.Thread(target=self._run, name="dcmon-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"simulator thread did not start within {timeout:g} s")
        if self._error is not None:
            raise self._error  # e.g. OSError when the port is taken, as Simulator.start()
        return self.base_url

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            await self.simulator.start()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await self.simulator.stop()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the simulator's loop from another thread."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("the simulator thread is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def state_view(self, meeting_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Thread-safe `Simulator.state_view`: read on the simulator's own loop."""

        async def read() -> dict[str, Any]:
            return self.simulator.state_view(meeting_id)

        return self.call(read(), timeout)

    def stop(self, timeout: float = 10.0) -> None:
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None or loop is None or stop is None or not thread.is_alive():
            return
        with contextlib.suppress(RuntimeError):  # loop already closed
            loop.call_soon_threadsafe(stop.set)
        thread.join(timeout)
        if thread.is_alive():
            log.warning("simulator thread still running after %g s", timeout)


async def run_standalone(host: str = "127.0.0.1", port: int = 0, demo_meeting: bool = True):
    """`python -m app sim`: print the base URL first, serve until cancelled or signalled."""
    sim = Simulator(host, port)
    base_url = await sim.start()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    try:
        print(base_url, flush=True)
        assert sim.engine is not None
        if demo_meeting:
            m, _ = sim.engine.create_meeting(
                DEMO_MEETING, True, True, transcription_per_second=DEMO_CAPTION_RATE
            )
            log.info("demo meeting %s: %s", m.id, m.locus_url)
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # not the main thread, or Windows: cancellation still works
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await sim.stop()
