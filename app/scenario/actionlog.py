"""What a user (or a scenario) did, as `Action` records: thin proxies around a client and a
`SimControl` that log each command with its time, its arguments and whether it was refused.

The names and arguments are those of scenario steps (docs/SCENARIOS_FORMAT.md), so a manual
session's actions turn back into steps (`from_session.py`), and incidents can name their
cause (`app.core.incidents`). Both proxies are duck-typed: any client with the
`MeetingClient` command methods, any object with `SimControl`'s methods.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from app.core.incidents import Action

Sink = Callable[[Action], None]
log = logging.getLogger("app.scenario")

# SimControl method -> (source, how to name it, the arguments in step vocabulary)
_CLIENT = {"join", "leave", "drop", "reconnect", "resubscribe", "refresh_token"}


def _host_action(method: str, a: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    meeting = {"meeting": a["meeting_id"]} if a.get("meeting_id") else {}
    pid = {"participant": a["participant_id"]} if a.get("participant_id") else {}
    if method == "create_meeting":
        keys = ("lobby", "webinar", "keep_alive_secs", "token_ttl_secs")
        return "host", "create", meeting | {k: a[k] for k in keys if a.get(k) is not None}
    if method == "admit":
        return "host", "admit", meeting | pid
    if method == "to_lobby":
        return "host", "lobby", meeting | pid
    if method == "set_roles":
        return "host", "roles", meeting | pid | {"roles": list(a["roles"])}
    if method == "practice_session":
        return "host", "practice", meeting | {"enabled": bool(a["enabled"])}
    if method == "rotate":
        return "host", "rotate", meeting | {"channel": a["channel"]}
    if method == "tokens":
        tt = {"token_type": a["token_type"]} if a.get("token_type") else {}
        return "host", "tokens", meeting | {"action": a["action"]} | tt
    if method == "transcription":
        return "host", "transcription", meeting | {"per_second": a["per_second"]}
    if method == "end_meeting":
        return "host", "end", meeting
    if method == "fault":
        keys = (("delay_ms", "delay_ms"), ("status", "status"), ("count", "count"))
        args = {"mode": a["mode"]} | {k: a[s] for s, k in keys if a.get(s) is not None}
        if a.get("body_text") is not None:
            args["body"] = a["body_text"]
        return "fault", str(a["endpoint"]), args
    if method == "clear_faults":
        return "fault", "clear", {}
    if method == "socket":
        keys = ("code", "reason", "ms", "frame")
        args = {"action": a["action"]} | {k: a[k] for k in keys if a.get(k) is not None}
        return "socket", str(a["channel"]), args | meeting | pid
    return None  # reads (state) and plumbing (aclose) are not actions


def _client_action(method: str, a: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    args = {k: v for k, v in a.items() if v is not None and k != "self"}
    if "meeting_id" in args:
        args["meeting"] = args.pop("meeting_id")
    if "channel" in args:
        args["channel"] = str(getattr(args["channel"], "value", args["channel"]))
    return "client", method, args


class _Logged:
    def __init__(self, inner: Any, sink: Sink, name_args: Callable[..., Any]) -> None:
        self._inner = inner
        self._sink = sink
        self._name_args = name_args

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() sees the real object's class
        return type(self._inner)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr) or name.startswith("_"):
            return attr
        target = self._inner  # a proxy of a proxy (the window's, then a run's): the real one
        while isinstance(target, _Logged):
            target = target._inner
        try:
            signature = inspect.signature(getattr(target, name))
        except (AttributeError, TypeError, ValueError):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = dict(signature.bind(*args, **kwargs).arguments)
            except TypeError:
                return attr(*args, **kwargs)
            try:
                named = self._name_args(name, bound)
            except (KeyError, TypeError, ValueError):  # an unexpected shape: just not logged
                log.debug("action %s not logged: %r", name, bound, exc_info=True)
                named = None
            if named is None:
                return attr(*args, **kwargs)
            wall, t0 = time.time(), time.perf_counter()

            def record(error: BaseException | None) -> None:
                source, what, act_args = named
                ms = (time.perf_counter() - t0) * 1000
                message = None if error is None else str(error) or type(error).__name__
                self._sink(Action(wall, source, what, act_args, error is None, message, ms))

            try:
                result = attr(*args, **kwargs)
            except Exception as exc:
                record(exc)
                raise
            if inspect.isawaitable(result):

                async def awaited() -> Any:
                    try:
                        value = await result
                    except Exception as exc:
                        record(exc)
                        raise
                    record(None)
                    return value

                return awaited()
            record(None)
            return result

        return call


class LoggedSim(_Logged):
    """A `SimControl` whose host, fault and socket calls are logged as actions."""

    def __init__(self, sim: Any, sink: Sink) -> None:
        super().__init__(sim, sink, _host_action)

    async def __aenter__(self) -> LoggedSim:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.aclose()


class LoggedClient(_Logged):
    """A client whose commands (join, leave, drop, reconnect, resubscribe, refresh_token)
    are logged as actions; everything else passes through untouched."""

    def __init__(self, client: Any, sink: Sink) -> None:
        super().__init__(client, sink, lambda m, a: _client_action(m, a) if m in _CLIENT else None)


def unwrap(obj: Any) -> Any:
    """The object behind a logging proxy (or the object itself)."""
    return obj._inner if isinstance(obj, _Logged) else obj


class ActionSink:
    """Collects actions and hands each to any number of listeners (a recorder, a panel)."""

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self._targets: list[Sink] = []

    def forward(self, target: Sink) -> None:
        self._targets.append(target)

    def __call__(self, action: Action) -> None:
        self.actions.append(action)
        for target in list(self._targets):
            try:
                target(action)
            except Exception:  # a listener must never break a command
                log.exception("action listener %r failed", target)
