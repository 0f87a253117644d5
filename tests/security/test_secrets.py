"""No raw token anywhere: a full demo tour's every output is searched for every token.

Collected: every event's JSON and every snapshot's JSON (what the log, the JSONL export
and the panels are made of), every log record of every logger at DEBUG (the core, the
simulator, httpx, websockets, uvicorn), the reprs of the core objects while tokens are
held, error messages, and the stdout/stderr of `python -m app demo` and of
`python -m app join --json` (both with -v: debug logging on). Searched for: the user token
and every datachannel token the simulator issued (it records them for this test only),
and, for the subprocess whose simulator we cannot ask, anything shaped like a JWT.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import websockets.frames

import app.tour as tour
from app.core.events import EventKind
from app.core.meeting import MeetingClient
from app.core.settings import TEST
from app.sim import SimControl, Simulator

ROOT = Path(__file__).resolve().parents[2]
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def debug_logs() -> Any:
    root = logging.getLogger()
    handler = Capture()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def leaks(outputs: dict[str, str], secrets_: list[str]) -> list[str]:
    found = []
    for where, text in outputs.items():
        for secret in secrets_:
            if secret and secret in text:
                found.append(f"{where}: contains {secret[:6]}...")
            # the signature alone would be as bad as the whole token
            tail = secret.rsplit(".", 1)[-1]
            if len(tail) >= 16 and tail in text:
                found.append(f"{where}: contains the signature of {secret[:6]}...")
    return found


async def test_a_full_tour_leaks_no_token_anywhere(monkeypatch, debug_logs) -> None:
    user_token = "user-" + secrets.token_urlsafe(24)
    outputs: dict[str, str] = {}
    sims: list[Simulator] = []
    reprs: list[str] = []
    events: list[str] = []
    snapshots: list[str] = []

    class RecordingSimulator(Simulator):
        async def stop(self) -> None:
            sims.append(self)  # read its issued tokens after the tour
            await super().stop()

    class RecordingClient(MeetingClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.hub.on_event(self._record_event)
            self.hub.on_snapshot(lambda s: snapshots.append(json.dumps(s.to_json())))

        def _record_event(self, e: Any) -> None:
            events.append(json.dumps(e.to_json()))
            if e.kind is EventKind.TOKEN:  # tokens are held right now: their reprs too
                reprs.extend([repr(self), repr(self.tokens), repr(self.http)])
                reprs.extend(repr(slot) for slot in self.tokens.slots().values())
                reprs.extend(str(slot) for slot in self.tokens.slots().values())
                if self._view is not None:
                    reprs.append(repr(self._view))

    # websockets elides the middle of long frames in its logs; show them whole, so only our
    # redaction stands between the authorization frame and the log
    monkeypatch.setattr(websockets.frames.Frame, "MAX_LOG_SIZE", 3000)
    monkeypatch.setattr(tour, "Simulator", RecordingSimulator)
    monkeypatch.setattr(tour, "MeetingClient", RecordingClient)
    results = await tour.run_tour(TEST, lambda r: reprs.append(repr(r)), user_token=user_token)
    assert all(r.ok for r in results), results
    assert len(sims) == 1
    issued = sims[0].issued_tokens()
    assert len(issued) >= 3  # join answer, refreshes, the practice session's
    assert len(events) > 50 and len(snapshots) > 20
    outputs["events"] = "\n".join(events)
    outputs["snapshots"] = "\n".join(snapshots)
    outputs["reprs"] = "\n".join(reprs)
    outputs["logs"] = "\n".join(debug_logs.lines)
    assert len(debug_logs.lines) > 100  # the libraries really logged at DEBUG
    auth = [line for line in debug_logs.lines if '"authorization"' in line]
    assert len(auth) >= 2 and all("Bearer" in line for line in auth)  # logged, redacted
    assert leaks(outputs, [user_token, *issued]) == []
    assert not any(JWT.search(text) for text in outputs.values())


async def test_join_json_and_demo_subprocess_outputs_leak_no_token(debug_logs) -> None:
    user_token = "user-" + secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "DCMON_USER_TOKEN": user_token,
        "QT_QPA_PLATFORM": "offscreen",
        "WEBSOCKETS_MAX_LOG_SIZE": "3000",  # whole frames in the debug log (see above)
    }
    async with Simulator() as sim, SimControl(sim.base_url) as host:
        await host.create_meeting("sec", lobby=False, webinar=True)
        await host.practice_session("sec", True)
        await host.transcription("sec", 10)
        join = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app", "-v", "join", "--json", "--server", sim.base_url,
            "--meeting", "sec", "--profile", "test", "--duration", "2.5",
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
        )  # fmt: skip
        # while it runs: the host expires its token and rotates the URL (refresh + retry)
        # the joined client's default socket is live: its token was used, now expire it
        await sim.wait_for(
            lambda s: s.state_view("sec")["participants"][0]["channels"]["default"]["sockets"], 15
        )
        await host.tokens("sec", "expire")
        await host.rotate("sec", "default")
        out, err = await asyncio.wait_for(join.communicate(), 30)
        issued = sim.issued_tokens()
    assert join.returncode == 0, err.decode()[-2000:]
    lines = out.decode().splitlines()
    assert any('"type": "event"' in line for line in lines)
    assert len(issued) >= 2
    outputs = {"join stdout": out.decode(), "join stderr": err.decode()}
    assert "DEBUG" in outputs["join stderr"] and '"authorization"' in outputs["join stderr"]
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "-v", "demo", "--profile", "test",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
    )  # fmt: skip
    dout, derr = await asyncio.wait_for(demo.communicate(), 90)
    assert demo.returncode == 0, dout.decode()[-2000:]
    outputs["demo stdout"] = dout.decode()
    outputs["demo stderr"] = derr.decode()
    assert leaks(outputs, [user_token, "demo-user", *issued]) == []
    for where, text in outputs.items():
        assert not JWT.search(text), f"a JWT in {where}: {JWT.search(text)}"
        assert "Bearer demo-user" not in text and f"Bearer {user_token}" not in text


async def test_a_server_echoing_a_token_in_its_error_is_masked(sim, host, make_client) -> None:
    """Error messages quote the server's words; a token in them is masked on the way in."""
    client, watch = make_client()
    await host.create_meeting("echo", lobby=True, webinar=False)
    await client.join("echo")
    await watch.until(lambda s: s.badge == "Lobby", 5, "lobby")
    secret = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlY2hvIn0." + secrets.token_urlsafe(32)
    body = json.dumps({"message": f"token {secret} rejected for Bearer {client.user_token}"})
    await host.fault("token", "body", status=500, body_text=body, count=1)
    await host.admit("echo")
    error = await watch.event(
        lambda e: e.kind is EventKind.ERROR and "rejected" in e.summary, 5, "error shown"
    )
    shown = error.summary + json.dumps(client.snapshot.to_json())
    assert secret not in shown and client.user_token not in shown
    assert "eyJh…" in error.summary
