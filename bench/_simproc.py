"""The simulator in its own process, for benchmarks whose client must not share its CPU.

`python -m bench._simproc`: prints `{"baseUrl": ...}`, then answers JSON commands on stdin,
one per line, until EOF:

  {"cmd": "rate", "meeting": ID, "perSecond": N, "everySocket": bool}  transcription relays
      to every subscribed socket of the meeting at N per second. The /sim/ API caps
      perSecond at 50 (app/sim/transcript.py MAX_PER_SECOND), too low for the GUI
      benchmark's 100-2000, so this drives the engine's own relay function (the same one
      the /sim/ ticker calls) from a bench-side ticker that catches up in batches instead
      of sleeping per frame. With everySocket, the same relay frame goes to EVERY data
      channel socket of the meeting, subscribed or not: since PROTOCOL.md v2 only one
      socket (the publish transport) holds the transcription subscription, and the GUI
      benchmark loads both channels.
  {"cmd": "rss"}  this process's resident set size (bytes) and the frames sent so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

from bench.common import rss_bytes

TICK = 0.005  # seconds between ticker wake-ups


def _relay_everywhere(engine: Any, meeting: str, payload: dict[str, Any]) -> None:
    """engine._relay_transcript without its subscription filter (see everySocket above)."""
    from app.sim.transcript import VOICEA_FROM, relay_data

    data = relay_data(payload)
    for record in list(engine.model.sockets.values()):
        if record.meeting_id == meeting and record.channel in ("default", "practice"):
            link = engine.links.get(record.id)
            if link is not None:
                link.push(data, headers={"from": VOICEA_FROM})


async def _ticker(
    engine: Any, meeting: str, per_second: float, counter: dict, every_socket: bool = False
) -> None:
    from app.sim.transcript import TranscriptClock

    def relay(m: str, payload: dict[str, Any]) -> None:
        if every_socket:
            _relay_everywhere(engine, m, payload)
        else:
            engine._relay_transcript(m, payload)

    loop = asyncio.get_running_loop()
    clock = TranscriptClock()
    start = loop.time()
    sent = 0
    while True:
        await asyncio.sleep(TICK)
        due = int((loop.time() - start) * per_second)
        # at most 0.25 s of backlog: a stalled simulator does not burst afterwards
        if due - sent > per_second / 4:
            sent = due - int(per_second / 4)
        while sent < due:
            relay(meeting, clock.next_payload())
            sent += 1
            counter["relays"] += 1


async def main() -> None:
    from app.sim import Simulator

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tickers: dict[str, asyncio.Task[None]] = {}
    counter = {"relays": 0}
    async with Simulator() as sim:
        print(json.dumps({"baseUrl": sim.base_url}), flush=True)
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                cmd = json.loads(line)
                answer: dict[str, Any] = {"ok": True}
                if cmd["cmd"] == "rate":
                    meeting, rate = cmd["meeting"], float(cmd["perSecond"])
                    old = tickers.pop(meeting, None)
                    if old is not None:
                        old.cancel()
                    if rate > 0:
                        every = bool(cmd.get("everySocket", False))
                        coro = _ticker(sim.engine, meeting, rate, counter, every)
                        tickers[meeting] = loop.create_task(coro)
                elif cmd["cmd"] == "rss":
                    answer["rss"] = rss_bytes()
                    answer["relays"] = counter["relays"]
                else:
                    answer = {"error": f"unknown command {cmd['cmd']!r}"}
            except Exception as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)
        for task in tickers.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


if __name__ == "__main__":
    asyncio.run(main())
