"""The Node driver as a child process: start, JSON lines both ways, health, stop by PID.

One process per SDK client. stdout carries JSON lines only (sdkclient/LINES.md); stderr is
free text, kept (redacted) for the log and for the message when the driver dies.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable, Sequence
from typing import Any

from app.core.redact import redact_text
from app.core.tokens import mask

log = logging.getLogger("app.clients.sdk")

READY_TIMEOUT = 60.0  # node + requiring the SDK takes a few seconds on a slow machine
COMMAND_TIMEOUT = 45.0
QUIT_TIMEOUT = 8.0
STDERR_KEEP = 400

Line = dict[str, Any]


class DriverError(RuntimeError):
    """The driver process could not start, died, or broke the line protocol."""


class DriverProcess:
    def __init__(self, on_line: Callable[[Line], None], on_exit: Callable[[int], None]) -> None:
        self._on_line = on_line
        self._on_exit = on_exit
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_KEEP)
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._stderr: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[Line] | None = None
        self._pending: dict[int, asyncio.Future[Line]] = {}
        self._next_id = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self, argv: Sequence[str], cwd: str, env: dict[str, str]) -> Line:
        """Spawn the driver and return its `ready` line; DriverError if it never comes."""
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                limit=8 << 20,
                start_new_session=True,  # Ctrl+C in a terminal reaches us, not the driver
            )
        except OSError as exc:
            raise DriverError(f"could not start the SDK driver ({argv[0]}): {exc}") from None
        self._reader = loop.create_task(self._read_stdout(), name="sdk-stdout")
        self._stderr = loop.create_task(self._read_stderr(), name="sdk-stderr")
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                return await self._ready
        except TimeoutError:
            await self.kill()
            raise DriverError(self.died(f"no `ready` line within {READY_TIMEOUT:g} s")) from None

    def died(self, what: str) -> str:
        tail = [line for line in self.stderr_tail if line.strip()][-6:]
        return f"SDK driver {what}" + (": " + " | ".join(tail) if tail else "")

    async def call(self, cmd: str, timeout: float = COMMAND_TIMEOUT, **fields: Any) -> Line:
        """Send one command; its `result` line (a failed one if the driver is gone)."""
        if not self.alive or self._proc is None or self._proc.stdin is None:
            return {"ok": False, "error": self.died("is not running")}
        self._next_id += 1
        ident = self._next_id
        future: asyncio.Future[Line] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        payload = {"id": ident, "cmd": cmd, **{k: v for k, v in fields.items() if v is not None}}
        log.debug(
            "sdk driver <- %s", {k: mask(v) if k == "token" else v for k, v in payload.items()}
        )
        try:
            self._proc.stdin.write((json.dumps(payload) + "\n").encode())
            await self._proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            self._pending.pop(ident, None)
            return {"ok": False, "error": self.died(f"stdin closed ({exc})")}
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            self._pending.pop(ident, None)
            return {"ok": False, "error": f"no result for {cmd!r} within {timeout:g} s"}

    async def kill(self) -> None:
        """Wait for the exit a `quit` asked for, then SIGTERM, then SIGKILL, by our PID."""
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(QUIT_TIMEOUT):
                await proc.wait()
                return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if proc.returncode is not None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)  # by PID: only the process we started
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(3.0):
                    await proc.wait()

    async def stop_readers(self) -> None:
        for task in (self._reader, self._stderr):
            if task is not None and not task.done():
                task.cancel()
            if task is not None:
                with contextlib.suppress(BaseException):
                    await task

    # -- the streams --------------------------------------------------------------------------
    async def _read_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        stream = self._proc.stdout
        try:
            while True:
                raw = await stream.readline()
                if not raw:
                    break
                self._dispatch(raw)
        except (ValueError, asyncio.LimitOverrunError) as exc:  # a line over the limit
            self.stderr_tail.append(f"stdout line too long: {exc}")
        finally:
            code = await self._proc.wait()
            self._gone(code)

    def _dispatch(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").strip()
        if not text:
            return
        try:
            line = json.loads(text)
        except ValueError:  # not a line of the protocol: kept with stderr
            self.stderr_tail.append("stdout: " + redact_text(text))
            return
        if not isinstance(line, dict):
            return
        ev = line.get("ev")
        if ev == "ready" and self._ready is not None and not self._ready.done():
            self._ready.set_result(line)
        if ev == "result":
            future = self._pending.pop(line.get("id"), None)  # type: ignore[arg-type]
            if future is not None and not future.done():
                future.set_result(line)
        self._on_line(line)

    async def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        while True:
            raw = await self._proc.stderr.readline()
            if not raw:
                return
            text = redact_text(raw.decode("utf-8", errors="replace").rstrip())
            self.stderr_tail.append(text)
            log.debug("sdk driver: %s", text)

    def _gone(self, code: int) -> None:
        why = self.died(f"exited with {code}")
        if self._ready is not None and not self._ready.done():
            self._ready.set_exception(DriverError(why))
        for future in self._pending.values():
            if not future.done():
                future.set_result({"ok": False, "error": why})
        self._pending.clear()
        self._on_exit(code)
