"""The real Webex JS SDK as a dcmon client: owns the Node driver process (start, health,
stop by PID, stderr kept for the log) and turns its JSON lines into the core's events and
snapshots (`sdk_translate.SdkTranslator`).

Faults the SDK cannot do on its own socket (a client-side drop) are asked of the simulator's
control API (`/sim/sockets`), which breaks the SDK's real TCP connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.clients.interface import Command, UnsupportedCommand
from app.clients.sdk_process import COMMAND_TIMEOUT, QUIT_TIMEOUT, DriverError, DriverProcess
from app.clients.sdk_setup import DriverHome, check_sdk_dir, ensure_driver, find_node
from app.clients.sdk_translate import SDK_CAPABILITIES, SdkTranslator
from app.core.channel import CommandError
from app.core.events import ChannelName, CoreEvent, EventKind, Hub, MeetingSnapshot
from app.core.meeting import JoinError

log = logging.getLogger("app.clients.sdk")

_SIM_ACTIONS = {"reset": "reset", "halfopen": "halfopen", "close": "close"}
# dcmon's demo tokens are one word; webex-core refuses a token without `_` sections ("token
# has 1 sections") before it sends anything. The simulator takes any token, so these defaults
# become a Webex-shaped one (base64 name _ PF84 _ the org id SDK_FLOW.md's traces use).
DEMO_TOKENS = frozenset({"dcmon-demo-user", "dcmon-scenario-user"})
SDK_DEMO_TOKEN = "ZGNtb24tZGVtby11c2Vy_PF84_1eb65fdf-9643-417f-9974-ad72cae0e10f"


class SdkClient:
    kind = "sdk"
    capabilities = SDK_CAPABILITIES

    def __init__(
        self,
        server: str,
        user_token: str,
        display_name: str = "dcmon",
        sdk_dir: str | os.PathLike[str] | None = None,
        home: DriverHome | None = None,
        sim: Any = None,  # a SimControl on `server`, for the faults the SDK cannot do
        automatic_llm: bool = True,
        captions: bool = True,
        settings: Any = None,  # accepted for the window's factory; the SDK has its own timings
        progress: Callable[[float, str], None] | None = None,  # first-use `npm ci`
    ) -> None:
        if not user_token:
            raise ValueError("a user token is needed (any non-empty string for the simulator)")
        self._server = server.rstrip("/")
        self._token = SDK_DEMO_TOKEN if user_token in DEMO_TOKENS else user_token
        self.display_name = display_name
        self.sdk_dir = check_sdk_dir(sdk_dir) if sdk_dir else None
        self._home = home
        self._sim = sim
        self._own_sim = False
        self.automatic_llm = automatic_llm
        self.auto_captions = captions
        self.settings = settings
        self._progress = progress
        self.hub = Hub()
        self.translator = SdkTranslator(self._server)
        self.process = DriverProcess(self._line, self._gone)
        self.stderr_tail = self.process.stderr_tail
        self._next_id = 0
        self._started = False
        self._starting: asyncio.Task[None] | None = None
        self._closed = False
        self._publish_pending = False
        self._learning = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:  # never the user token
        return f"SdkClient({self._server}, sdk={self.version}, pid={self.pid})"

    # -- facts ------------------------------------------------------------------------------
    @property
    def server(self) -> str:
        return self._server

    @property
    def version(self) -> str:
        return self.translator.sdk_version or "?"

    @property
    def label(self) -> str:
        where = f" from {self.sdk_dir}" if self.sdk_dir else ""
        return f"webex {self.version}{where}"

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.alive

    @property
    def snapshot(self) -> MeetingSnapshot:
        return self.translator.snapshot

    # -- process ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the driver, then `start` (webex instance, catalog, device, mercury)."""
        if self._started:
            return
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start())
        starting = self._starting
        try:
            await asyncio.shield(starting)
        finally:
            if starting.done() and self._starting is starting:
                self._starting = None

    async def _start(self) -> None:
        if self._closed:
            raise JoinError("the SDK client is closed")
        home = self._home or await ensure_driver(self._install_progress)
        node = find_node()
        # the network guard first: it refuses (and reports) any non-loopback lookup/connect
        guard = home.folder / "netguard.js"
        argv = [node, *(["-r", str(guard)] if guard.is_file() else []), str(home.entry)]
        if self.sdk_dir is not None:
            argv += ["--sdk", str(self.sdk_dir)]
        env = dict(os.environ)
        env.pop("DCMON_USER_TOKEN", None)  # the driver gets the token in `start`, not its env
        env.update(timing_env(self.settings))
        try:
            await self.process.start(argv, str(home.folder), env)
        except DriverError as exc:
            raise JoinError(str(exc)) from None
        self._emit(self.translator.note("meeting", f"SDK driver running (pid {self.pid})"))
        result = await self._call(
            "start",
            server=self._server,
            token=self._token,
            displayName=self.display_name,
            automaticLLM=self.automatic_llm,
            captions=self.auto_captions,
        )
        if not result.get("ok"):
            raise JoinError(f"the SDK could not start on {self._server}: {result.get('error')}")
        self._started = True

    def _install_progress(self, fraction: float, message: str) -> None:
        if self._progress is not None:
            self._progress(fraction, message)
        self._emit(
            self.translator.note(
                "meeting", f"SDK setup {fraction:.0%}: {message}", progress=fraction
            )
        )

    def _line(self, line: dict[str, Any]) -> None:
        ev = line.get("ev")
        for event in self.translator.feed(line):
            self._emit(event)
        self._publish()
        snap = self.translator.snapshot
        if (
            ev == "phase"
            and line.get("phase") in ("lobby", "joined")
            and snap.participant_id is None
            and snap.meeting_id
            and not self._learning
        ):  # as soon as the server has a participant for us (the host console needs it)
            self._learning = True
            self._spawn(self._learn_participant(snap.meeting_id), "participant id")

    def _gone(self, code: int) -> None:
        if self._closed:
            return
        for event in self.translator.feed({"ev": "exit", "code": code}):
            self._emit(event)
        self._emit(
            self.translator.note(
                "meeting", self.process.died(f"exited with {code}"), EventKind.ERROR
            )
        )
        self._publish()

    def _call(self, cmd: str, timeout: float = COMMAND_TIMEOUT, **fields: Any) -> Any:
        return self.process.call(cmd, timeout, **fields)

    # -- commands ---------------------------------------------------------------------------
    async def join(self, meeting_id: str, display_name: str | None = None) -> None:
        await self.start()
        if (
            self.translator.snapshot.meeting_id
            and not self.translator.snapshot.phase.value == "left"
        ):
            await self.leave()
        self._learning = False
        for event in self.translator.joining(meeting_id):
            self._emit(event)
        self._publish()
        result = await self._call(
            "join", meeting=meeting_id, displayName=display_name or self.display_name
        )
        if not result.get("ok"):
            message = f"could not join {meeting_id!r}: {result.get('error')}"
            self._emit(self.translator.note("meeting", message, EventKind.ERROR))
            raise JoinError(message)
        if self.translator.snapshot.participant_id is None:
            await self._learn_participant(meeting_id)

    async def _learn_participant(self, meeting_id: str) -> None:
        """When the driver's lines did not name our participant, ask the simulator (the
        participant whose name is ours and who has not left), for host actions and faults."""
        if self.translator.snapshot.participant_id is not None or self._sim is None:
            return
        try:
            state = await self._sim.state(meeting_id)
        except Exception:  # not the simulator, or not reachable: leave it unknown
            return
        present = [p for p in state.get("participants", []) if p.get("phase") != "left"]
        named = [p for p in present if p.get("displayName") == self.display_name]
        people = named if len(named) == 1 else present  # a fresh meeting: only us
        if len(people) == 1:
            self.translator.learn_participant(str(people[0]["participantId"]))
            self._emit(
                self.translator.note(
                    "meeting",
                    "our participant id, from the simulator's view (the SDK's "
                    "lines name it only later)",
                    participant_id=people[0]["participantId"],
                )
            )
            self._publish()

    async def leave(self) -> None:
        events = self.translator.leaving()
        if not events:
            return
        for event in events:
            self._emit(event)
        result = await self._call("leave")
        if not result.get("ok"):
            self._emit(
                self.translator.note("meeting", f"leave: {result.get('error')}", EventKind.ERROR)
            )
        self._publish()

    async def captions(self, on: bool) -> None:
        result = await self._call("captions", on=on)
        if not result.get("ok"):
            raise CommandError(f"captions {'on' if on else 'off'}: {result.get('error')}")

    def drop(self, channel: ChannelName | str, how: str) -> asyncio.Task[Any]:
        """The SDK cannot break its own socket: the simulator's fault proxy does (server side)."""
        name = ChannelName(channel)
        action = _SIM_ACTIONS.get(how)
        if action is None:
            raise CommandError(f"unknown drop {how!r}; one of {', '.join(_SIM_ACTIONS)}")
        snap = self.snapshot
        if self._sim is None or not snap.meeting_id:
            raise CommandError(f"drop {name.value}: needs the simulator and a joined meeting")
        self._emit(
            self.translator.note(
                name.value,
                f"{how} of the SDK's {name.value} socket asked of the simulator",
                EventKind.STATE,
                how=how,
                via="simulator",
            )
        )
        coro = self._sim.socket(
            snap.meeting_id,
            name.value,
            action,
            participant_id=snap.participant_id,
            **({"code": 1000, "reason": "dropped by dcmon"} if action == "close" else {}),
        )
        return self._spawn(coro, f"drop {name.value}")

    def reconnect(self, channel: ChannelName | str) -> asyncio.Task[Any]:
        name = ChannelName(channel)

        async def run() -> None:
            result = await self._call("reconnect", channel=name.value)
            error = str(result.get("error") or "")
            if not result.get("ok") and "socket to reconnect" in error:
                raise UnsupportedCommand(  # the driver's sessions.js: a socket mercury dropped
                    Command.RECONNECT,
                    "the SDK keeps no socket once it closed one for good, and has no call to "
                    f"open it again ({error})",
                )
            if not result.get("ok"):
                raise CommandError(f"reconnect {name.value}: {error}")

        return self._spawn(run(), f"reconnect {name.value}")

    def resubscribe(self, channel: ChannelName | str) -> None:
        raise UnsupportedCommand(
            Command.RESUBSCRIBE, self.capabilities.why_not(Command.RESUBSCRIBE) or ""
        )

    async def refresh_token(self, token_type: str) -> Any:
        raise UnsupportedCommand(
            Command.REFRESH_TOKEN, self.capabilities.why_not(Command.REFRESH_TOKEN) or ""
        )

    async def close(self) -> None:
        """Leave if joined, `quit` (the driver unregisters), then stop the process by PID."""
        if self._closed:
            return
        if self._starting is not None:
            with contextlib.suppress(BaseException):
                await self._starting
        if self.alive:
            with contextlib.suppress(Exception):
                await self.leave()
            await self._call("quit", timeout=QUIT_TIMEOUT)
        self._closed = True
        await self.process.kill()
        for task in list(self._tasks):
            if not task.done():
                task.cancel()
        await self.process.stop_readers()
        if self._own_sim and self._sim is not None:
            with contextlib.suppress(Exception):
                await self._sim.aclose()
        self._publish_now()

    # -- plumbing ---------------------------------------------------------------------------
    def _emit(self, event: CoreEvent) -> None:
        self.hub.emit(event)

    def _publish(self) -> None:
        if self._publish_pending:
            return
        self._publish_pending = True
        try:
            asyncio.get_running_loop().call_soon(self._publish_now)
        except RuntimeError:
            self._publish_now()

    def _publish_now(self) -> None:
        self._publish_pending = False
        self.hub.publish(self.snapshot)

    def _spawn(self, coro: Any, label: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=f"sdk-{label}")
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self._emit(
                    self.translator.note("meeting", f"{label}: {t.exception()}", EventKind.ERROR)
                )
                self._publish()

        task.add_done_callback(done)
        return task


def timing_env(settings: Any) -> dict[str, str]:
    """The profile's ping and pong times, in the SDK's own configuration: mercury and llm
    read MERCURY_PING_INTERVAL / MERCURY_PONG_TIMEOUT / MERCURY_FORCE_CLOSE_DELAY (ms) from
    the environment (internal-plugin-mercury/src/config.js:11,16,32; internal-plugin-llm/
    src/llm.ts:21,26), so a scenario's deadlines mean the same for both clients. Backoff is
    left at the SDK's own (its config takes those values without a number conversion)."""
    if settings is None or getattr(settings, "profile", "sdk") == "sdk":
        return {}
    return {
        "MERCURY_PING_INTERVAL": str(round(settings.ping_interval * 1000)),
        "MERCURY_PONG_TIMEOUT": str(round(settings.pong_timeout * 1000)),
        "MERCURY_FORCE_CLOSE_DELAY": str(round(settings.force_close_delay * 1000)),
    }


def sdk_client(
    server: str,
    user_token: str,
    display_name: str = "dcmon",
    sdk_dir: str | os.PathLike[str] | None = None,
    sim: Any = None,
    **kw: Any,
) -> SdkClient:
    """An SdkClient with its own SimControl on `server` when none is given."""
    own = sim is None
    if own:
        from app.sim import SimControl

        sim = SimControl(server)
    client = SdkClient(server, user_token, display_name, sdk_dir, sim=sim, **kw)
    client._own_sim = own
    return client


def driver_path_hint() -> Path | None:
    from app.clients.sdk_setup import bundled_driver

    return bundled_driver()
