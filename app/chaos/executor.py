"""Apply a chaos sequence to the real core against the real simulator, checking invariants.

One run: a fresh simulator on loopback, one `MeetingClient` on the chaos profile, the steps
applied one after another with their small delays. Client commands (join, leave, rejoin,
refresh) run in the background, so they overlap the steps that follow, as a user's clicks
overlap the host's actions. After every step the *always* invariants are checked; at each
`settle` step and at the end, the run waits until nothing is in flight and checks that the
displayed state equals the simulator's truth. At the end the client is closed, the
simulator stopped, and any task left running or exception nobody retrieved is a violation.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.chaos.invariants import (
    Violation,
    check_always,
    check_event,
    check_no_reconnect_after_4000,
    check_registrations,
    check_settled,
    check_stored_tokens,
    is_quiet,
    participants_of,
)
from app.chaos.loopwatch import LoopWatch, leftover_tasks
from app.chaos.steps import CLIENT_COMMANDS, Sequence, Step
from app.core.desired import CommandError
from app.core.events import ChannelState, CoreEvent, EventKind, MeetingSnapshot
from app.core.locus import PRACTICE_TOKEN, TOKEN_TYPES, Phase
from app.core.meeting import JoinError, MeetingClient
from app.core.protocol import ProtocolError
from app.core.settings import TEST, Settings
from app.core.tokens import TokenError, jwt_claims
from app.sim import SimControl, SimControlError, Simulator

# The test profile with room for a loaded machine: a hang costs one http_timeout.
CHAOS = TEST.with_(profile="chaos", http_timeout=1.0, connect_timeout=2.0, pong_timeout=0.6)
MEETING = "chaos"
USER_TOKEN = "chaos-user-token-0123456789"
QUIET_SECS = 0.15  # settled = quiet (and in agreement) for this long
HEARTBEATS = frozenset({EventKind.RTT, EventKind.KEEPALIVE, EventKind.TRANSCRIPT})
EXPECTED_ERRORS = (JoinError, CommandError, TokenError, SimControlError)
TOKEN_KIND = {"default": TOKEN_TYPES[0], "practice": PRACTICE_TOKEN}


@dataclass
class RunResult:
    sequence: Sequence
    violations: list[Violation] = field(default_factory=list)
    checks: int = 0  # invariant evaluations (always, per event, per snapshot, settled)
    steps: int = 0
    settles: int = 0
    expected_errors: int = 0  # commands refused for a good reason (not joined, 403 ...)
    tolerated_ghosts: int = 0  # see Executor._lost_join
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations


class Executor:
    def __init__(
        self,
        sequence: Sequence,
        settings: Settings = CHAOS,
        settle_timeout: float = 10.0,
        trace: Callable[[str], None] | None = None,
    ) -> None:
        self.seq = sequence
        self.settings = settings
        self.settle_timeout = settle_timeout
        self.trace = trace or (lambda line: None)
        self.result = RunResult(sequence)
        self.sim: Simulator | None = None
        self.host: SimControl | None = None
        self.client: MeetingClient | None = None
        self.events: list[CoreEvent] = []
        self._pending: set[asyncio.Task[None]] = set()
        self._dead: set[int] = set()
        self._injected_replaced: dict[str, int] = {}
        self._last_change = 0.0
        self._seen: set[tuple[str, str]] = set()
        self._meeting_ended = False
        # The last join got no answer at all (the backend died, or the answer was lost) and
        # no push told the client what the server did: a participant the server created
        # then is unknowable to the client (a known limit), so a ghost is tolerated, counted.
        self._lost_join = False
        self._practice_alone_since: float | None = None
        self._alone_limit = settings.close_timeout + settings.force_close_delay + 1.0

    # -- bookkeeping ---------------------------------------------------------------------
    def _violate(self, found: list[Violation]) -> None:
        for v in found:
            key = (v.kind, v.message)
            if key not in self._seen:  # the same fact seen at every step counts once
                self._seen.add(key)
                self.result.violations.append(v)
                self.trace(f"  VIOLATION {v}")

    def _on_event(self, event: CoreEvent) -> None:
        self.events.append(event)
        if event.kind not in HEARTBEATS:
            self._last_change = time.monotonic()
        client = self.client
        if client is None:
            return
        states = {name: ch.snapshot.state for name, ch in client.channels.items()}
        injected = False
        if (
            event.kind is EventKind.CLOSED
            and event.data.get("code") == 4000
            and str(event.data.get("reason", "")).lower() == "replaced"
            and self._injected_replaced.get(event.channel, 0) > 0
        ):
            self._injected_replaced[event.channel] -= 1
            injected = True
        self.result.checks += 1
        generation = client.snapshot.generation
        self._violate(check_event(event, states, self._dead, injected, generation))
        if event.kind is EventKind.TOKEN and event.data.get("source"):
            self._check_tokens(client.snapshot)  # a token was just stored

    def _on_snapshot(self, snap: MeetingSnapshot) -> None:
        self._check_tokens(snap)
        # practice never stays online while the default is down: it is closed at once when
        # its prerequisite goes (allow the close handshake's time, no more)
        alone = (
            snap.channel("practice").state is ChannelState.ONLINE
            and snap.channel("default").state is not ChannelState.ONLINE
        )
        now = time.monotonic()
        if not alone:
            self._practice_alone_since = None
        elif self._practice_alone_since is None:
            self._practice_alone_since = now
        elif now - self._practice_alone_since > self._alone_limit:
            self.result.checks += 1
            self._violate(
                [
                    Violation(
                        "always.practice_without_default",
                        f"practice online for {now - self._practice_alone_since:.1f} s while "
                        f"the default is {snap.channel('default').state.value}",
                    )
                ]
            )

    def _check_tokens(self, snap: MeetingSnapshot) -> None:
        client = self.client
        if client is None or snap.badge == "Joining":
            return  # the join answer's tokens are stored just before its view is applied
        claims: dict[str, dict[str, Any] | None] = {}
        for kind, slot in client.tokens.slots().items():
            try:
                claims[kind] = jwt_claims(slot.token)
            except ProtocolError:
                claims[kind] = None
        in_meeting = snap.phase in (Phase.LOBBY, Phase.JOINED)
        self.result.checks += 1
        found = check_stored_tokens(claims, snap.participant_id, snap.meeting_id, in_meeting)
        self._violate(
            [Violation(v.kind, f"{v.message} (client shows {snap.badge})") for v in found]
        )

    def _views(self) -> list[dict[str, Any]]:
        assert self.sim is not None
        try:
            return [self.sim.state_view(MEETING)]
        except (KeyError, RuntimeError):
            return []

    def _check_always(self) -> None:
        if self.client is None:
            return
        self.result.checks += 2
        self._violate(check_always(self._views(), self.client.device_url))
        self._violate(check_registrations(self.events))
        self._violate(check_no_reconnect_after_4000(self.events))

    # -- the run -------------------------------------------------------------------------
    async def run(self) -> RunResult:
        started = time.perf_counter()
        baseline = set(asyncio.all_tasks())
        with LoopWatch() as watch:
            try:
                await self._setup()
                for index, step in enumerate(self.seq.steps):
                    if step.delay_ms:
                        await asyncio.sleep(step.delay_ms / 1000)
                    self.trace(f"{index:2d} {step}")
                    await self._apply(step)
                    self.result.steps += 1
                    self._check_always()
                await self._settle()
            except Exception as exc:  # the harness itself must never hide a failure
                self._violate([Violation("harness", f"{type(exc).__name__}: {exc}")])
            finally:
                await self._teardown()
            leftover = await leftover_tasks(baseline, timeout=3.0)
            problems = list(watch.problems)
        if leftover:
            self._violate([Violation("leak.tasks", f"tasks still running: {leftover}")])
        for problem in problems:
            self._violate([Violation("loop.exception", problem)])
        self.result.seconds = time.perf_counter() - started
        return self.result

    async def _setup(self) -> None:
        self.sim = Simulator()
        await self.sim.start()
        self.host = SimControl(self.sim.base_url, timeout=5.0)
        await self._create_meeting()
        self.client = MeetingClient(
            self.sim.base_url, USER_TOKEN, self.settings, display_name="chaos"
        )
        self.client.hub.on_event(self._on_event)
        self.client.hub.on_snapshot(self._on_snapshot)

    async def _create_meeting(self) -> None:
        assert self.host is not None
        await self.host.create_meeting(
            MEETING, lobby=self.seq.lobby, webinar=True, keep_alive_secs=60
        )
        self._meeting_ended = False

    async def _teardown(self) -> None:
        if self._pending:
            _, late = await asyncio.wait(self._pending, timeout=self.settle_timeout)
            for task in late:
                self._violate([Violation("hung_command", f"client command hung: {task}")])
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=2)
        if self.client is not None:
            try:
                await asyncio.wait_for(self.client.close(), 10)
            except Exception as exc:
                self._violate([Violation("close", f"client close failed: {exc!r}")])
        if self.host is not None:
            await self.host.aclose()
        if self.sim is not None:
            await self.sim.stop()

    # -- steps ---------------------------------------------------------------------------
    async def _apply(self, step: Step) -> None:
        if step.name in CLIENT_COMMANDS:
            if step.name in ("join", "rejoin") and self._meeting_ended:
                await self._guard(self._create_meeting())
            task = asyncio.get_running_loop().create_task(
                self._guard(self._command(step)), name=f"chaos-{step.name}"
            )
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        elif step.name == "settle":
            await self._settle()
        elif step.name == "restart":
            await self._restart()
        elif step.name in ("drop", "reconnect"):
            await self._guard(self._local(step))
        else:
            await self._guard(self._remote(step))

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        except EXPECTED_ERRORS as exc:
            self.result.expected_errors += 1
            self.trace(f"     (expected: {type(exc).__name__}: {str(exc)[:120]})")

    async def _command(self, step: Step) -> None:
        client = self.client
        assert client is not None
        if step.name == "join":
            await self._join()
        elif step.name == "leave":
            await self._leave()
        elif step.name == "rejoin":
            await self._leave()
            await self._join()
        elif step.name == "refresh":
            await client.refresh_token(TOKEN_KIND[step.args[0]])

    async def _join(self) -> None:
        assert self.client is not None
        try:
            await self.client.join(MEETING)
        except JoinError as exc:
            if "timed out" in str(exc) or "connection broken" in str(exc):
                self._lost_join = True
            raise
        self._lost_join = False

    async def _leave(self) -> None:
        client = self.client
        assert client is not None
        before = client.snapshot.generation
        await client.leave()
        if client.snapshot.generation > before:
            self._dead.add(before)  # from here on, nothing of `before` may run again

    async def _local(self, step: Step) -> None:
        client = self.client
        assert client is not None
        if step.name == "drop":
            client.drop(step.args[0], step.args[1])
        else:
            client.reconnect(step.args[0])

    async def _remote(self, step: Step) -> None:
        host, client = self.host, self.client
        assert host is not None and client is not None
        pid = client.snapshot.participant_id
        a = step.args
        name = step.name
        if name == "admit":
            await host.admit(MEETING)
        elif name == "end":
            await host.end_meeting(MEETING)
            self._meeting_ended = True
        elif name == "practice":
            await host.practice_session(MEETING, a[0] == "on")
        elif name == "rotate":
            await host.rotate(MEETING, a[0])
        elif name == "tokens":
            kind = None if a[1] == "all" else TOKEN_KIND[a[1]]
            await host.tokens(MEETING, a[0], kind)
        elif name == "fault":
            endpoint, mode, count, extra = a
            await host.fault(
                endpoint,
                mode,
                delay_ms=int(extra) if mode == "slow" else None,
                status=int(extra) if mode == "error" else None,
                count=int(count),
            )
        elif pid is None:
            self.trace("     (skipped: no participant yet)")
        elif name == "lobby":
            await host.to_lobby(MEETING, pid)
        elif name in ("promote", "demote"):
            roles = ["PANELIST"] if name == "promote" else ["ATTENDEE"]
            await host.set_roles(MEETING, pid, roles)
        elif name == "close":
            channel, code, reason = a[0], int(a[1]), a[2]
            answer = await host.socket(
                MEETING, channel, "close", participant_id=pid, code=code, reason=reason
            )
            if code == 4000 and reason == "replaced" and answer.get("sockets"):
                self._injected_replaced[channel] = self._injected_replaced.get(channel, 0) + 1
        elif name in ("reset", "halfopen", "shutdown"):
            await host.socket(MEETING, a[0], name, participant_id=pid)
        elif name == "latency":
            await host.socket(MEETING, a[0], "latency", participant_id=pid, ms=int(a[1]))

    async def _restart(self) -> None:
        """The backend is killed and a new one starts on the same port with its state."""
        assert self.sim is not None and self.host is not None
        old_host = self.host
        self.sim = await self.sim.restarted(kill=True)
        self.host = SimControl(self.sim.base_url, timeout=5.0)
        await old_host.aclose()

    # -- settling ------------------------------------------------------------------------
    async def _settle(self) -> None:
        """Wait for pending commands, then until quiet and in agreement (or the deadline)."""
        self.result.settles += 1
        if self._pending:
            _, late = await asyncio.wait(set(self._pending), timeout=self.settle_timeout)
            for task in late:
                self._violate([Violation("hung_command", f"client command hung: {task}")])
        client = self.client
        assert client is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_timeout
        quiet_since: float | None = None
        found: list[Violation] = []
        while True:
            snap = client.snapshot
            views = self._views()
            view = views[0] if views else None
            found = check_settled(snap, view) if client.device_url else []
            ghosts = [v for v in found if v.kind == "settled.ghost"]
            if ghosts and self._lost_join:
                found = [v for v in found if v.kind != "settled.ghost"]
            in_flight = any(
                p["channels"][ch]["registrationsInFlight"]
                for p in participants_of(view, client.device_url)
                for ch in ("default", "practice")
            )
            calm = is_quiet(snap) and not found and not in_flight
            now = time.monotonic()
            if calm:
                if quiet_since is None:
                    quiet_since = now
                elif now - max(quiet_since, self._last_change) >= QUIET_SECS:
                    break
            else:
                quiet_since = None
            if loop.time() >= deadline:
                break
            await asyncio.sleep(0.03)
        self.result.checks += 1
        if ghosts and self._lost_join:
            self.result.tolerated_ghosts += 1
            self.trace("     (tolerated: a ghost after a join whose answer was lost)")
        if found:
            self._violate(found)
        elif quiet_since is None:
            states = ", ".join(f"{n.value}={c.state.value}" for n, c in snap.channels.items())
            self._violate([Violation("settled.timeout", f"never quiet: {states}")])
        self._check_always()


async def run_sequence(
    sequence: Sequence,
    settings: Settings = CHAOS,
    trace: Callable[[str], None] | None = None,
    settle_timeout: float = 10.0,
) -> RunResult:
    return await Executor(sequence, settings, settle_timeout, trace).run()


def channel_states(snap: MeetingSnapshot) -> dict[str, str]:
    return {n.value: c.state.value for n, c in snap.channels.items()}


__all__ = ["CHAOS", "Executor", "RunResult", "channel_states", "run_sequence"]
