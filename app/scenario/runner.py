"""Running one validated scenario: set up, do the steps in order, always tear down.

Setup: a fresh embedded simulator (or the `--server`), the meeting, a `MeetingClient` on the
file's profile and a `Watch` on its hub. Steps run one after the other; the first failure
stops the run (later steps are reported as skipped). A `stop` event (Ctrl+C in the CLI, a
button in the window) abandons the step in progress and skips the rest. Teardown closes the
client (it leaves), clears faults set on a shared server, and stops the embedded simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from app.clients.factory import make_client
from app.clients.interface import Client
from app.clients.native import as_client
from app.core.incidents import derive
from app.core.meeting import MeetingClient
from app.core.settings import Settings, profile
from app.core.watch import Watch
from app.scenario import model as m
from app.scenario.actionlog import ActionSink, LoggedClient, LoggedSim
from app.scenario.actions import NotPossible, StepError, perform
from app.scenario.conditions import condition_for
from app.scenario.context import RunContext
from app.scenario.judging import judge
from app.scenario.recording import Recorder
from app.scenario.results import ScenarioResult, Status, StepResult, summarize
from app.scenario.waiting import POLL_INTERVAL, Waiter
from app.sim import SimControl, SimControlError, Simulator

log = logging.getLogger("app.scenario")
T = TypeVar("T")
DEFAULT_USER_TOKEN = "dcmon-scenario-user"  # any non-empty token works against the simulator


@dataclass(frozen=True)
class RunOptions:
    server: str | None = None  # None: a fresh embedded simulator per scenario
    user_token: str = DEFAULT_USER_TOKEN
    profile: str | None = None  # overrides the file's setup.profile
    record_dir: Path | None = None  # write a session recording (JSONL) per scenario
    poll_interval: float = POLL_INTERVAL  # --server only: state re-fetch fallback
    client: str = "native"  # which client runs the steps: native | sdk (app/clients)
    sdk_dir: str | None = None  # --client sdk: another installed SDK instead of the pinned one


@dataclass(frozen=True)
class RunInfo:
    server: str  # base URL the client talks to
    profile: str  # the settings profile in use
    meeting: str  # the setup meeting's real id (suffixed against --server)
    client: str = ""  # which client runs the steps ("dcmon core 1.0", "webex SDK")


@dataclass(frozen=True)
class RunHooks:
    on_start: Callable[[m.Scenario, RunInfo], None] | None = None
    on_client: Callable[[Client], None] | None = None  # e.g. attach a window's bridge
    on_step: Callable[[StepResult], None] | None = None
    on_step_start: Callable[[m.Step], None] | None = None  # progress ("step 3/14: ...")
    # awaited before each step: the window's step mode (Next, or a slow-down); Stop ends it
    before_step: Callable[[m.Step], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Attached:
    """A caller's client and host control (the window's): the run uses them and never closes
    them. Their server is treated like `--server` (suffixed meetings, state fetched over
    HTTP, faults cleared at the end); teardown leaves the meeting instead of closing."""

    client: Client | MeetingClient  # a MeetingClient is wrapped as the native client
    host: SimControl


class Interrupted(Exception):
    """The stop event came first."""


async def run_scenario(
    scenario: m.Scenario,
    options: RunOptions | None = None,
    hooks: RunHooks | None = None,
    stop: asyncio.Event | None = None,
    attached: Attached | None = None,
) -> ScenarioResult:
    options, hooks = options or RunOptions(), hooks or RunHooks()
    started, t0 = time.time(), time.perf_counter()
    if attached is not None:  # the caller made its client with the profile it wanted
        settings = getattr(attached.client, "settings", None) or profile(scenario.setup.profile)
    else:
        settings = profile(options.profile or scenario.setup.profile)
    steps: list[StepResult] = []
    snapshot: dict[str, Any] | None = None
    sim_state: dict[str, Any] | None = None
    server = attached.client.server if attached else options.server or "embedded simulator"
    error = ""
    ctx: RunContext | None = None
    actions = ActionSink()  # the steps' commands, for incident causes
    client_facts = ("native", "", "")
    try:
        async with contextlib.AsyncExitStack() as stack:
            ctx = await _set_up(scenario, options, settings, stack, attached, actions)
            server = ctx.client.server
            label = "webex SDK" if ctx.client.kind == "sdk" else ctx.client.label  # before start
            _call(hooks.on_start, scenario, RunInfo(server, settings.profile, ctx.current, label))
            _call(hooks.on_client, ctx.client)
            client_facts = _client_facts(ctx.client)
            await _run_steps(scenario, ctx, Waiter(ctx, options.poll_interval), hooks, stop, steps)
            snapshot = ctx.client.snapshot.to_json()  # as the steps left it, before teardown
            sim_state = await _quietly(ctx.last_sim_state())
        client_facts = _client_facts(ctx.client)  # the SDK's version is known once it ran
    except (SimControlError, OSError, RuntimeError, ValueError) as exc:
        error = f"{'teardown' if steps else 'setup'} failed: {exc}"
        log.debug("scenario %s", scenario.file, exc_info=True)
    # taken after teardown, so the timeline ends with the leave
    timeline = tuple(e.to_json() for e in ctx.watch.events) if ctx is not None else ()
    incidents = derive(ctx.watch.events, actions.actions).incidents() if ctx is not None else []
    ms = (time.perf_counter() - t0) * 1000
    return ScenarioResult(
        file=scenario.file,
        name=scenario.name,
        description=scenario.description,
        status=_status(steps, error),
        steps=tuple(steps),
        ms=ms,
        server=server,
        profile=settings.profile,
        started=started,
        error=error,
        timeline=timeline,
        last_snapshot=snapshot,
        sim_state=sim_state,
        actions=tuple(a.to_json() for a in actions.actions),
        incidents=tuple(i.to_json() for i in incidents),
        client=client_facts[0],
        client_version=client_facts[1],
        client_label=client_facts[2],
    )


def _client_facts(client: Client) -> tuple[str, str, str]:
    return client.kind, client.version, client.label


async def _set_up(
    scenario: m.Scenario,
    options: RunOptions,
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    attached: Attached | None = None,
    actions: ActionSink | None = None,
) -> RunContext:
    """Everything a run needs; `stack` undoes it in reverse (client first, simulator last)."""
    setup = scenario.setup
    sim: Simulator | None = None
    if attached is not None:
        url, suffix = attached.client.server, "-" + secrets.token_hex(3)
        host, client = attached.host, as_client(attached.client)
    else:
        if options.server is None:
            sim = Simulator()
            url = await sim.start()
            stack.push_async_callback(sim.stop)
            suffix = ""
        else:
            url, suffix = options.server, "-" + secrets.token_hex(3)
        host = SimControl(url)
        stack.push_async_callback(host.aclose)
        client = make_client(
            options.client,
            url,
            options.user_token,
            settings,
            setup.display_name,
            options.sdk_dir,
            sim=host,
        )
    watch = Watch(client.hub, client.snapshot)
    sink = actions if actions is not None else ActionSink()  # steps' commands, logged
    logged_client, logged_host = LoggedClient(client, sink), LoggedSim(host, sink)
    ctx = RunContext(scenario, logged_client, watch, logged_host, sim, suffix)
    stack.callback(watch.close)
    stack.callback(ctx.close)
    if sim is None:
        stack.push_async_callback(_clear_faults, ctx)  # a shared server outlives us
    if options.record_dir is not None:
        options.record_dir.mkdir(parents=True, exist_ok=True)
        target = options.record_dir / f"{Path(scenario.file).stem}.jsonl"
        recorder = Recorder(
            client.hub, target, server=url, profile=settings.profile, meeting=ctx.current
        )
        stack.callback(recorder.close)
        sink.forward(recorder.action)
    # first to run: leave while everything listens (a caller's client only leaves)
    stack.push_async_callback(client.leave if attached else client.close)
    if setup.create:
        await host.create_meeting(
            ctx.current,
            lobby=setup.lobby,
            webinar=setup.webinar,
            keep_alive_secs=setup.keep_alive_secs,
            token_ttl_secs=setup.token_ttl_secs,
        )
    return ctx


async def _clear_faults(ctx: RunContext) -> None:
    if ctx.faults_set:
        with contextlib.suppress(SimControlError):
            await ctx.host.clear_faults()


async def _run_steps(
    scenario: m.Scenario,
    ctx: RunContext,
    waiter: Waiter,
    hooks: RunHooks,
    stop: asyncio.Event | None,
    out: list[StepResult],
) -> None:
    why_not: str | None = None  # set once a step failed or the run was stopped
    for step in scenario.steps:
        if why_not is None and hooks.before_step is not None:
            with contextlib.suppress(Interrupted):  # step mode: Next / slow-down; Stop ends it
                await _unless_stopped(hooks.before_step(step), stop)
        if why_not is None and stop is not None and stop.is_set():
            why_not = "not run: interrupted"
        if why_not is not None:
            result = _result(step, Status.SKIPPED, 0.0, why_not)
        else:
            _call(hooks.on_step_start, step)
            result = await _run_step(step, ctx, waiter, stop)
            # a not-judged expectation stops nothing; a client action not done stops the rest
            judged_only = result.status is Status.NOT_JUDGED and (
                isinstance(step, m.Expect) or getattr(step, "fails", None) is not None
            )
            if not result.ok and not judged_only:
                why_not = (
                    "not run: interrupted"
                    if result.status is Status.INTERRUPTED
                    else f"not run: step {step.index} {result.status.value}"
                )
        out.append(result)
        _call(hooks.on_step, result)


async def _run_step(
    step: m.Step, ctx: RunContext, waiter: Waiter, stop: asyncio.Event | None
) -> StepResult:
    t0 = time.perf_counter()

    def done(status: Status, message: str) -> StepResult:
        return _result(step, status, (time.perf_counter() - t0) * 1000, message)

    verdict = judge(step, ctx.client.capabilities)  # what this client can be judged on
    if verdict.why is not None and verdict.step is None:
        return done(Status.NOT_JUDGED, f"not judged for {ctx.client.label}: {verdict.why}")
    try:
        if isinstance(step, m.Expect):
            checked = verdict.step if isinstance(verdict.step, m.Expect) else step
            outcome = await _unless_stopped(
                waiter.until(condition_for(checked, ctx), step.within), stop
            )
            if outcome.ok and verdict.partial:
                return done(
                    Status.NOT_JUDGED,
                    f"not judged for {ctx.client.label}: {verdict.why} "
                    f"(what can be known held: {outcome.actual})",
                )
            if outcome.ok:
                return done(Status.PASSED, outcome.actual)
            return done(
                Status.FAILED,
                f"not met within {step.within:g} s: {outcome.actual}\n"
                f"last snapshot: {summarize(ctx.client.snapshot)}",
            )
        if isinstance(step, m.ClientStep) and step.fails is not None:
            return await _must_fail(step, ctx, stop, done)
        return done(Status.PASSED, await _perform(step, ctx, stop))
    except Interrupted:
        return done(Status.INTERRUPTED, "interrupted while running")
    except NotPossible as exc:  # the client cannot do it at all (only found out when asked)
        return done(Status.NOT_JUDGED, f"not judged for {ctx.client.label}: {exc}")
    except StepError as exc:
        return done(Status.ERROR, f"{exc}\nlast snapshot: {summarize(ctx.client.snapshot)}")
    except Exception as exc:  # a step must never take the runner (or the window) down
        log.exception("scenario step %d crashed", step.index)
        return done(Status.ERROR, f"{type(exc).__name__}: {exc}")


async def _perform(step: m.Step, ctx: RunContext, stop: asyncio.Event | None) -> str:
    if step.blocking:
        return await _unless_stopped(perform(step, ctx), stop)
    return await perform(step, ctx)  # never yields: see actions.py


async def _must_fail(
    step: m.ClientStep,
    ctx: RunContext,
    stop: asyncio.Event | None,
    done: Callable[[Status, str], StepResult],
) -> StepResult:
    """Bad-input steps: the command must be refused, with a message saying why."""
    wanted = step.fails or ""
    try:
        note = await _perform(step, ctx, stop)
    except StepError as exc:
        if wanted.lower() in str(exc).lower():
            return done(Status.PASSED, f"refused as expected: {exc}")
        wording = ctx.client.capabilities.wording
        if wording:  # refused, which is what can be judged; the words are the client's own
            return done(
                Status.NOT_JUDGED,
                f"not judged for {ctx.client.label}: refused, but {wording} "
                f"(wanted {wanted!r}): {exc}",
            )
        message = f"refused, but the message lacks {wanted!r}: {exc}"
    else:
        message = f"expected to be refused ({wanted!r}), but it succeeded: {note}"
    return done(Status.FAILED, f"{message}\nlast snapshot: {summarize(ctx.client.snapshot)}")


async def _unless_stopped(coro: Coroutine[Any, Any, T], stop: asyncio.Event | None) -> T:
    if stop is None:
        return await coro
    task = asyncio.ensure_future(coro)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        raise Interrupted
    finally:
        for t in (task, stopper):
            if not t.done():
                t.cancel()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await t


async def _quietly(coro: Coroutine[Any, Any, T], timeout: float = 5.0) -> T | None:
    """For the report only: a missing sim state must not fail the run."""
    try:
        async with asyncio.timeout(timeout):
            return await coro
    except (TimeoutError, SimControlError, OSError):
        return None


def _call(hook: Callable[..., None] | None, *args: Any) -> None:
    """A hook that raises (a window closing, a broken printer) must not break the run."""
    if hook is None:
        return
    try:
        hook(*args)
    except Exception:
        log.exception("scenario hook %r failed", hook)


def _result(step: m.Step, status: Status, ms: float, message: str) -> StepResult:
    return StepResult(step.index, step.type_name, step.describe(), status, ms, message, step.note)


def _status(steps: list[StepResult], error: str) -> Status:
    kinds = {s.status for s in steps}
    if Status.FAILED in kinds:
        return Status.FAILED
    if error or Status.ERROR in kinds:
        return Status.ERROR
    if Status.INTERRUPTED in kinds:
        return Status.INTERRUPTED
    if Status.NOT_JUDGED in kinds:  # skipped after a client action this client cannot do
        return Status.NOT_JUDGED
    if Status.SKIPPED in kinds:
        return Status.INTERRUPTED
    return Status.PASSED
