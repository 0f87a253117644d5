"""What the event loop and the loggers say behind our back: unhandled exceptions,
"Task exception was never retrieved", error logs, and tasks left running."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from typing import Any

WATCHED_LOGGERS = ("app", "asyncio", "uvicorn", "websockets", "httpx", "httpcore")


class _ErrorHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.ERROR)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        self._sink.append(f"{record.name} {record.levelname}: {text[:300]}")


class LoopWatch:
    """Installs a loop exception handler and an ERROR log handler for its lifetime."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None
        self._handler = _ErrorHandler(self.problems)

    def _on_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = context.get("message", "")
        exc = context.get("exception")
        detail = f" {type(exc).__name__}: {exc}" if exc is not None else ""
        task = context.get("task") or context.get("future")
        where = f" in {task!r}"[:200] if task is not None else ""
        self.problems.append(f"loop: {message}{detail}{where}")

    def __enter__(self) -> LoopWatch:
        self._loop = asyncio.get_running_loop()
        self._previous = self._loop.get_exception_handler()
        self._loop.set_exception_handler(self._on_exception)
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self._handler)
        if self._loop is not None:
            self._loop.set_exception_handler(self._previous)


def describe(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or repr(coro)
    return f"{task.get_name()} ({name})"


async def leftover_tasks(baseline: set[asyncio.Task[Any]], timeout: float) -> list[str]:
    """Tasks not in `baseline` still alive after `timeout` (each gets the chance to end)."""
    current = asyncio.current_task()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        extra = [t for t in asyncio.all_tasks() if t not in baseline and t is not current]
        if not extra or loop.time() >= deadline:
            break
        await asyncio.sleep(0.02)
    with contextlib.suppress(Exception):
        gc.collect()  # "Task exception was never retrieved" is reported when a task dies
    await asyncio.sleep(0)
    return [describe(t) for t in extra]
