"""Commands from the window to the core and the simulator, with every failure turned into
a readable message (never a traceback dialog). The UI never touches core objects itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Signal

from app.core.events import ChannelName, EventKind, MeetingSnapshot
from app.core.settings import Settings
from app.ui.adapter import CoreBridge
from app.ui.errors import readable

log = logging.getLogger("app.ui")

DEMO_MEETING = "demo-1"
DEMO_CAPTION_RATE = 2.0  # captions a second in the embedded demo meeting
DEMO_USER_TOKEN = "dcmon-demo-user"  # the simulator accepts any non-empty user token


@dataclass(frozen=True)
class Backend:
    server: str
    embedded: bool  # simulator running inside this process (own thread and loop)

    @property
    def label(self) -> str:
        return f"embedded simulator {self.server}" if self.embedded else self.server


ClientFactory = Callable[..., Any]  # (server=, user_token=, settings=, display_name=) -> client
SimFactory = Callable[[str], Any]  # base_url -> SimControl-like


def _default_client_factory(**kw: Any) -> Any:
    from app.core.meeting import MeetingClient

    return MeetingClient(**kw)


def _default_sim_factory(base_url: str) -> Any:
    from app.sim import SimControl

    return SimControl(base_url)


async def _captions_on(sim: Any, meeting_id: str) -> None:
    """The host turns the meeting's captions on (a simulator without that control relays
    captions to every subscribed socket anyway)."""
    from app.sim.control import SimControlError
    from app.ui.panels.sim_calls import set_captions

    try:
        await set_captions(sim, meeting_id, True)
    except SimControlError as exc:
        if exc.status not in (404, 405):
            raise


def check_server_url(server: str) -> str:
    """A usable http(s) base URL or ValueError with a sentence the user can act on."""
    server = server.strip().rstrip("/")
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{server or 'an empty server'!r} is not a URL like http://127.0.0.1:8400")
    return server


MEETING_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$")  # one URL path segment


def check_meeting_form(meeting_id: str, display_name: str) -> None:
    """ValueError with what to type when the meeting id or the name cannot be used."""
    mid = meeting_id.strip()
    if not mid:
        raise ValueError("enter a meeting id")
    if not MEETING_ID.match(mid):
        raise ValueError(
            f"{mid!r} is not a meeting id: letters, digits and . _ ~ - only (no spaces or /)"
        )
    if not display_name.strip():
        raise ValueError("enter a display name")


async def unreachable(server: str) -> str | None:
    """None when something answers HTTP at `server`, else why not (one short phrase)."""
    import httpx

    try:
        async with httpx.AsyncClient(trust_env=False, timeout=3.0) as http:
            await http.get(server)
    except httpx.HTTPError as exc:
        return str(exc) or type(exc).__name__
    return None


async def probe_simulator(server: str) -> bool:
    import httpx

    try:
        async with httpx.AsyncClient(trust_env=False, timeout=3.0) as http:
            r = await http.get(f"{server}/sim/faults")
        body = r.json() if r.status_code == 200 else None
        return isinstance(body, dict) and isinstance(body.get("faults"), list)
    except (httpx.HTTPError, ValueError):
        return False


async def _aclose_quietly(sim: Any) -> None:
    try:
        await sim.aclose()
    except Exception:
        log.warning("sim control close failed", exc_info=True)


class Session(QObject):
    error = Signal(str)  # a readable line for the banner
    notice = Signal(str)  # status-bar text
    backend_changed = Signal(object)  # Backend
    host_available = Signal(bool)  # the backend answers the /sim/ API

    def __init__(
        self,
        bridge: CoreBridge,
        settings: Settings,
        user_token: str | None = None,
        client_factory: ClientFactory = _default_client_factory,
        sim_factory: SimFactory = _default_sim_factory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        self.user_token = user_token or DEMO_USER_TOKEN
        self._client_factory = client_factory
        self._sim_factory = sim_factory
        self.backend: Backend | None = None
        self.client: Any = None
        self.client_server: str | None = None
        self._client_settings: Settings | None = None  # a scenario's client has its own
        self.sim: Any = None  # SimControl when the backend is the simulator
        self._sim_thread: Any = None
        self._embedded_url: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    # -- plumbing -------------------------------------------------------------------------
    def spawn(
        self, label: str, coro: Coroutine[Any, Any, Any]
    ) -> asyncio.Task[Any] | concurrent.futures.Future[Any]:
        """Run a command; its failure becomes a banner + log line, never an exception."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self._closing:  # shutting down: nothing new starts
            coro.close()
            refused: concurrent.futures.Future[Any] = concurrent.futures.Future()
            refused.set_result(None)
            return refused
        # the command runs as the task itself (not wrapped): a task cancelled before its
        # first step still closes its coroutine, so nothing is left "never awaited"
        task = loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(label, t))
        return task

    def _finished(self, label: str, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        log.debug("%s failed", label, exc_info=exc)
        try:
            self.report(readable(label, exc))
        except RuntimeError:  # the window is gone already (closing): the log has it
            log.warning("%s failed: %s", label, exc)

    def report(self, message: str) -> None:
        self.bridge.local(EventKind.ERROR, "ui", message)
        self.error.emit(message)

    def command(self, summary: str, channel: str = "ui", **data: Any) -> None:
        self.bridge.local(EventKind.COMMAND, channel, summary, data)

    @property
    def snapshot(self) -> MeetingSnapshot | None:
        return self.bridge.last_snapshot

    @property
    def is_simulator(self) -> bool:
        return self.sim is not None

    @property
    def client_settings(self) -> Settings:
        """The settings of the client on screen (a scenario's client has its own profile)."""
        return self._client_settings or self.settings

    # -- backends -------------------------------------------------------------------------
    async def start_embedded(
        self, meeting_id: str = DEMO_MEETING, keep_alive_secs: int | None = None
    ) -> str:
        """Start the simulator in its own thread (a frozen server never freezes the window)."""
        from app.sim import SimulatorThread

        thread = SimulatorThread()
        loop = asyncio.get_running_loop()
        base_url: str = await loop.run_in_executor(None, thread.start)
        self._sim_thread = thread
        self._embedded_url = base_url
        self.backend = Backend(base_url, embedded=True)
        self.sim = self._sim_factory(base_url)
        await self.sim.create_meeting(
            meeting_id=meeting_id, lobby=True, webinar=True, keep_alive_secs=keep_alive_secs
        )
        # the demo meeting has captions running: they arrive as soon as a channel subscribes
        await self.sim.transcription(meeting_id, DEMO_CAPTION_RATE)
        await _captions_on(self.sim, meeting_id)
        self.command(f"embedded simulator on {base_url}; meeting {meeting_id} (lobby, webinar)")
        self.backend_changed.emit(self.backend)
        self.host_available.emit(True)
        return base_url

    async def use_server(self, server: str) -> None:
        """An outside backend; the host console appears only if it speaks the /sim/ API."""
        self.backend = Backend(check_server_url(server), embedded=False)
        self.backend_changed.emit(self.backend)
        await self._probe_sim(self.backend.server)

    async def _probe_sim(self, server: str) -> None:
        """GET /sim/faults is read-only and answers {"faults": [...]} only on the simulator."""
        speaks_sim = await probe_simulator(server)
        old = self.sim
        if speaks_sim and not (old is not None and getattr(old, "base_url", None) == server):
            self.sim = self._sim_factory(server)
        elif not speaks_sim:
            self.sim = None
        if old is not None and old is not self.sim:
            await _aclose_quietly(old)
        self.host_available.emit(speaks_sim)

    async def _switch_backend(self, server: str) -> None:
        """Join on another server: reachable first (the meeting in progress is left only
        then), and the host console follows it (hidden unless it is a simulator)."""
        if self.backend is not None and self.backend.server == server:
            return
        reason = await unreachable(server)
        if reason is not None:
            where = self.snapshot.meeting_id if self.snapshot else None
            still = f"; still in {where} on {self.client_server}" if where and self.client else ""
            raise ConnectionError(f"cannot reach {server}: {reason}{still}")
        embedded = self._sim_thread is not None and server == self._embedded_url
        self.backend = Backend(server, embedded=embedded)
        self.backend_changed.emit(self.backend)
        await self._probe_sim(server)

    # -- meeting --------------------------------------------------------------------------
    async def join(self, server: str, meeting_id: str, display_name: str) -> None:
        server = check_server_url(server)
        check_meeting_form(meeting_id, display_name)
        if (self.client is None or self.client_server != server) and (
            self.backend is None or self.backend.server != server
        ):
            await self._switch_backend(server)
        if (
            self.client is None
            or self.client_server != server
            or self._client_settings is not self.settings
        ):
            await self._new_client(server, self.settings, display_name or "dcmon")
            self.command(f"device registration on {server}")
            await self.client.start()
        self.command(f"join {meeting_id.strip()} as {display_name!r}", "meeting")
        await self.client.join(meeting_id.strip(), display_name=display_name or None)

    async def _new_client(self, server: str, settings: Settings, display_name: str) -> Any:
        """Close the current client (it leaves while the log still listens), then make and
        show a new one."""
        if self.client is not None:
            old, self.client = self.client, None
            await old.close()
        self.client = self._client_factory(
            server=server, user_token=self.user_token, settings=settings, display_name=display_name
        )
        self.client_server, self._client_settings = server, settings
        self.bridge.attach(self.client.hub)
        return self.client

    async def scenario_client(self, settings: Settings, display_name: str) -> Any:
        """A fresh client on this backend with a scenario's profile; the panels show it.

        The next Join replaces it with one on the window's own profile."""
        if self.backend is None or self.sim is None:
            raise RuntimeError(
                "scenarios need the simulator backend: their host, fault and socket steps "
                "use its /sim/ controls"
            )
        server = self.backend.server
        self.command(f"scenario client on {server} (profile {settings.profile})", "scenario")
        return await self._new_client(server, settings, display_name)

    async def leave(self) -> None:
        if self.client is not None:
            self.command("leave", "meeting")
            await self.client.leave()

    def drop(self, channel: ChannelName, how: str) -> None:
        """Client-side fault on our own socket: close / reset (no close frame) / half-open."""
        self._command(f"Drop {channel.value}", "drop", channel, how)

    async def drop_with_code(self, channel: ChannelName, code: int, reason: str) -> None:
        """With the simulator the server closes (exercising the close-code table)."""
        snap = self.snapshot
        if self.sim is not None and snap is not None and snap.meeting_id:
            self.command(f"server closes {channel.value} with {code} {reason!r}", channel.value)
            await self.sim.socket(
                snap.meeting_id,
                channel.value,
                "close",
                participant_id=snap.participant_id,
                code=code,
                reason=reason,
            )
        else:
            self.drop(channel, "close")

    def reconnect(self, channel: ChannelName) -> None:
        self._command(f"Reconnect {channel.value}", "reconnect", channel)

    def resubscribe(self, channel: ChannelName) -> None:
        self._command(f"Resubscribe {channel.value}", "resubscribe", channel)

    def _command(self, label: str, method: str, channel: ChannelName, *args: str) -> None:
        """A synchronous core command; a refusal ('not online') becomes a readable message."""
        if self.client is None:
            self.report(f"{label} failed: not connected: join a meeting first")
            return
        try:  # the core logs the command itself
            getattr(self.client, method)(channel, *args)
        except Exception as exc:
            self.report(readable(label, exc))

    async def refresh_token(self, token_type: str) -> None:
        if self.client is None:
            raise RuntimeError("not connected: join a meeting first")
        self.command(f"refresh {token_type}", "token")
        await self.client.refresh_token(token_type)

    # -- host console (simulator only) ----------------------------------------------------
    async def host(self, summary: str, call: Callable[[Any], Awaitable[Any]], **data: Any) -> Any:
        if self.sim is None:
            raise RuntimeError("the host console needs the simulator backend")
        self.command(f"host: {summary}", "host", **data)  # data["mark"]: a plot marker
        return await call(self.sim)

    # -- shutdown -------------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Leave the meeting, stop the core and the embedded simulator; idempotent."""
        if self._closing:
            return
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.close(), timeout=5.0)
            except Exception:  # closing must go on whatever the core says
                log.warning("client close failed", exc_info=True)
            self.bridge.detach()
        if self.sim is not None:
            try:
                await self.sim.aclose()
            except Exception:
                log.warning("sim control close failed", exc_info=True)
        if self._sim_thread is not None:
            thread, self._sim_thread = self._sim_thread, None
            await asyncio.get_running_loop().run_in_executor(None, thread.stop)
