"""Doing one non-expect step: a client command, a host control, a fault, a pause, a mark.

Errors the user can act on become `StepError` with a readable message. Client commands that
need no network (`drop`, `reconnect`, `resubscribe`) and `mark` never await, so two of them in
a row run with no event-loop turn in between, exactly as two calls in a test would (R2).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from app.clients.interface import UnsupportedCommand
from app.core.channel import CommandError
from app.core.meeting import JoinError
from app.core.tokens import TokenError
from app.scenario import model as m
from app.scenario.context import RunContext
from app.sim import SimControlError


class StepError(Exception):
    """A step that could not be done; the message says why."""


class NotPossible(StepError):
    """This client cannot do the step at all (app/clients capabilities): not judged."""


async def perform(step: m.Step, ctx: RunContext) -> str:
    """Do `step`; return a short note of what happened (for the report)."""
    try:
        return await _dispatch(step, ctx)
    except UnsupportedCommand as exc:
        raise NotPossible(str(exc)) from None
    except (CommandError, JoinError, TokenError) as exc:
        raise StepError(str(exc)) from None
    except SimControlError as exc:
        raise StepError(f"host control failed: {exc}") from None


async def _dispatch(step: m.Step, ctx: RunContext) -> str:
    client = ctx.client
    if isinstance(step, m.Join):
        meeting = ctx.meeting(step.meeting)
        ctx.current = meeting
        await client.join(meeting, step.display_name or ctx.scenario.setup.display_name)
        return f"joined {meeting} as {client.snapshot.participant_id}"
    if isinstance(step, m.Leave):
        await client.leave()
        return "left"
    if isinstance(step, m.Drop):
        return await _done(client.drop(step.channel, step.how))
    if isinstance(step, m.Reconnect):
        return await _done(client.reconnect(step.channel))
    if isinstance(step, m.Resubscribe):
        return await _done(client.resubscribe(step.channel))
    if isinstance(step, m.RefreshToken):
        slot = await client.refresh_token(step.token_type)
        return f"{step.token_type} {slot.source} {slot.masked}"
    if isinstance(step, m.Host):
        return _short(await _host(step, ctx))
    if isinstance(step, m.Fault):
        ctx.faults_set = True
        answer = await ctx.host.fault(
            step.endpoint,
            step.mode,
            step.delay_ms,
            step.status,
            step.count,
            step.body,
            retry_after=step.retry_after,
        )
        return _short(answer)
    if isinstance(step, m.ClearFaults):
        return _short(await ctx.host.clear_faults())
    if isinstance(step, m.Socket):
        meeting = ctx.meeting(step.meeting)
        answer = await ctx.host.socket(
            meeting,
            step.channel,
            step.action,
            participant_id=step.participant or ctx.participant(meeting),
            code=step.code,
            reason=step.reason,
            ms=step.ms,
            frame=step.frame,
        )
        return _short(answer)
    if isinstance(step, m.Pause):
        await asyncio.sleep(step.seconds)  # the one deliberate sleep: the file asked for it
        return ""
    if isinstance(step, m.Mark):
        ctx.set_mark(step.name)
        return f"at event {ctx.last_mark}"
    raise StepError(f"{step.type_name} cannot be performed")


async def _host(step: m.Host, ctx: RunContext) -> dict[str, Any]:
    host, a = ctx.host, step.args
    meeting = ctx.meeting(step.meeting)
    if step.action == "create":
        return await host.create_meeting(
            meeting,
            lobby=a["lobby"],
            webinar=a["webinar"],
            keep_alive_secs=a.get("keep_alive_secs"),
            token_ttl_secs=a.get("token_ttl_secs"),
        )
    if step.action == "admit":
        return await host.admit(meeting, _participant(step, ctx, meeting))
    if step.action == "lobby":
        return await host.to_lobby(meeting, _participant(step, ctx, meeting))
    if step.action == "roles":
        return await host.set_roles(meeting, _participant(step, ctx, meeting), a["roles"])
    if step.action == "practice":
        return await host.practice_session(meeting, a["enabled"])
    if step.action == "rotate":
        return await host.rotate(meeting, a["channel"])
    if step.action == "tokens":
        return await host.tokens(meeting, a["action"], a.get("token_type"))
    if step.action == "transcription":
        return await host.transcription(meeting, a["per_second"])
    if step.action == "end":
        return await host.end_meeting(meeting)
    if step.action == "captions":
        return await host.captions(meeting, a["enabled"])
    if step.action == "features":
        return await host.features(a["jwt_token"])
    raise StepError(f"unknown host action {step.action!r}")


def _participant(step: m.Host, ctx: RunContext, meeting: str) -> str:
    pid = step.participant or ctx.participant(meeting)
    if pid is None:
        raise StepError(
            f"no participant of ours in {meeting!r} yet: join first, or give `participant`"
        )
    return pid


async def _done(pending: Awaitable[object] | None) -> str:
    """The native core's commands return None and never yield (R2); a client that needs I/O
    for one (the SDK: a drop is done by the simulator) returns what to await."""
    if pending is None:
        return ""
    answer = await pending
    return _short(answer) if answer is not None else ""


def _short(answer: Any) -> str:
    text = json.dumps(answer, separators=(",", ":"), default=str)
    return text if len(text) <= 160 else text[:157] + "..."
