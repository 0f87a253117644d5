"""The values of incidents (app.core.incidents): an `Action` someone took, the `Step`s of
an incident's story, the `Incident` with its measured figures, a channel's `CaptionAudit`.
Plain frozen data, JSON out and in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TOKEN_CHANNEL = {"llm-default-session": "default", "llm-practice-session": "practice"}


@dataclass(frozen=True)
class Action:
    """One thing a user (or a scenario step) did: a client command, a host control, a fault,
    a server-side socket action. Names and args use the scenario step vocabulary
    (docs/SCENARIOS_FORMAT.md), so a session's actions turn back into steps."""

    wall: float  # time.time() when it was started
    source: str  # "client" | "host" | "fault" | "socket"
    name: str  # client: join/leave/drop/...; host: admit/rotate/...; fault: the endpoint;
    # socket: the channel; fault "clear": clear all faults
    args: Mapping[str, Any] = field(default_factory=dict)
    ok: bool = True
    error: str | None = None
    ms: float | None = None

    @property
    def channel(self) -> str | None:
        """The channel it aims at, or None when it affects the meeting or every channel."""
        if self.source == "socket":
            return self.name
        if self.source == "client" and "channel" in self.args:
            return str(self.args["channel"])
        if self.source == "host" and self.name == "rotate":
            return str(self.args.get("channel", "default"))
        if self.source == "host" and self.name == "tokens":
            return TOKEN_CHANNEL.get(str(self.args.get("token_type")))
        if self.source == "fault" and self.name == "device":
            return "device"
        return None

    @property
    def disruptive(self) -> bool:
        """Could this have caused a disruption? (Joining or setting a caption rate cannot.)"""
        if self.source == "client":
            return self.name == "drop"
        if self.source == "socket":
            return not (self.args.get("action") == "latency" and not self.args.get("ms"))
        if self.source == "fault":
            return self.name != "clear"
        return self.name in ("rotate", "tokens", "practice", "roles", "lobby", "end")

    def describe(self) -> str:
        keys = ", ".join(
            f"{k}={v}" for k, v in self.args.items() if k not in ("meeting", "participant")
        )
        word = {"socket": "server socket", "fault": "fault"}.get(self.source, self.source)
        text = f"{word} {self.name}" + (f" ({keys})" if keys else "")
        return text if self.ok else f"{text}: refused: {self.error}"

    def to_json(self) -> dict[str, Any]:
        return {
            "wall": self.wall,
            "source": self.source,
            "name": self.name,
            "args": dict(self.args),
            "ok": self.ok,
            "error": self.error,
            "ms": None if self.ms is None else round(self.ms, 3),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Action:
        return cls(
            float(d["wall"]),
            str(d["source"]),
            str(d["name"]),
            dict(d.get("args") or {}),
            bool(d.get("ok", True)),
            d.get("error"),
            d.get("ms"),
        )


@dataclass(frozen=True)
class Step:
    """One step of an incident's story, for the swim-lane chart and the JSON."""

    lane: str  # cause | detect | backoff | token | register | connect | subscribe | captions
    label: str
    wall: float
    end: float | None = None  # a span (a backoff wait, an HTTP call); None: a moment
    ok: bool = True

    def to_json(self, t0: float) -> dict[str, Any]:
        out: dict[str, Any] = {"lane": self.lane, "label": self.label, "at_ms": _ms(self.wall, t0)}
        if self.end is not None:
            out["end_ms"] = _ms(self.end, t0)
        if not self.ok:
            out["ok"] = False
        return out


LANES = ("cause", "detect", "backoff", "token", "register", "connect", "subscribe", "captions")


@dataclass(frozen=True)
class Incident:
    number: int
    channel: str
    generation: int
    detected: float  # wall time the client saw it
    detection: str  # in words: the close code and reason and who closed, or a pong timeout
    cause: Action | None = None
    related: tuple[Action, ...] = ()  # other candidate causes just before it
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: str | None = None  # "client" | "server"
    online: float | None = None
    resubscribe_requested: float | None = None
    resubscribe_confirmed: float | None = None
    first_caption: float | None = None
    last_caption_before: float | None = None
    caption_interval: float | None = None  # s, typical before the incident
    retries: tuple[float, ...] = ()  # each backoff wait, s
    token_fetches: int = 0
    token_failures: int = 0
    registrations: int = 0  # successful registration POSTs
    refusals: int = 0  # refused registrations (401/403/5xx)
    frames_lost: int = 0  # from sequence gaps during the incident
    duplicates: int = 0  # duplicated captions during the incident
    outcome: str = "open"  # open | recovered | gave up | ended
    steps: tuple[Step, ...] = ()

    @property
    def start(self) -> float:
        """t0 of every figure: the cause when known, else the detection."""
        if self.cause is not None and self.cause.wall <= self.detected:
            return self.cause.wall
        return self.detected

    @property
    def end(self) -> float:
        marks = [self.detected, self.online, self.resubscribe_confirmed, self.first_caption]
        return max(m for m in marks if m is not None)

    @property
    def detect_ms(self) -> float | None:
        if self.cause is None:
            return None
        return max(0.0, (self.detected - self.cause.wall) * 1000)

    @property
    def recover_ms(self) -> float | None:
        return None if self.online is None else (self.online - self.start) * 1000

    @property
    def resubscribed_ms(self) -> float | None:
        c = self.resubscribe_confirmed
        return None if c is None else (c - self.start) * 1000

    @property
    def captions_ms(self) -> float | None:
        c = self.first_caption
        return None if c is None else (c - self.start) * 1000

    @property
    def gap_ms(self) -> float | None:
        if self.first_caption is None or self.last_caption_before is None:
            return None
        return (self.first_caption - self.last_caption_before) * 1000

    @property
    def captions_lost(self) -> int | None:
        """Estimated from the cadence before the incident: captions that should have come."""
        gap, interval = self.gap_ms, self.caption_interval
        if gap is None or not interval:
            return None
        return max(0, round(gap / 1000 / interval) - 1)

    def cause_text(self) -> str:
        if self.cause is None:
            return "unknown (no action recorded)"
        text = self.cause.describe()
        if self.related:
            text += " after " + ", ".join(a.describe() for a in self.related)
        return text

    def one_line(self) -> str:
        def f(v: float | None) -> str:
            return "-" if v is None else f"{v:.0f} ms"

        parts = [
            f"incident {self.number} {self.channel}: {self.detection}",
            f"cause {self.cause.describe() if self.cause else '?'}",
            f"detect {f(self.detect_ms)}",
            f"recover {f(self.recover_ms)}",
            f"captions again {f(self.captions_ms)}",
        ]
        if self.gap_ms is not None:
            lost = self.captions_lost
            parts.append(f"gap {self.gap_ms:.0f} ms" + (f" (~{lost} lost)" if lost else ""))
        if self.frames_lost:
            parts.append(f"{self.frames_lost} frames lost")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicated captions")
        parts.append(self.outcome)
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        t0 = self.start
        return {
            "number": self.number,
            "channel": self.channel,
            "generation": self.generation,
            "outcome": self.outcome,
            "detection": self.detection,
            "cause": self.cause.to_json() if self.cause else None,
            "cause_text": self.cause_text(),
            "start": t0,
            "detected": self.detected,
            "close": {"code": self.close_code, "reason": self.close_reason, "by": self.closed_by},
            "detect_ms": _r(self.detect_ms),
            "recover_ms": _r(self.recover_ms),
            "resubscribed_ms": _r(self.resubscribed_ms),
            "captions_ms": _r(self.captions_ms),
            "gap_ms": _r(self.gap_ms),
            "captions_lost": self.captions_lost,
            "frames_lost": self.frames_lost,
            "duplicates": self.duplicates,
            "retries": list(self.retries),
            "token_fetches": self.token_fetches,
            "token_failures": self.token_failures,
            "registrations": self.registrations,
            "refusals": self.refusals,
            "steps": [s.to_json(t0) for s in self.steps],
        }


@dataclass(frozen=True)
class CaptionAudit:
    """Per channel: captions seen, duplicated, and the gaps outside the normal cadence."""

    channel: str
    captions: int = 0
    duplicates: int = 0
    gaps: tuple[tuple[float, float, int], ...] = ()  # (from wall, to wall, ~lost)

    @property
    def missing(self) -> int:
        return sum(lost for _, _, lost in self.gaps)

    @property
    def flagged(self) -> bool:
        return bool(self.duplicates or self.missing)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "captions": self.captions,
            "duplicates": self.duplicates,
            "missing": self.missing,
            "gaps": [
                {"from": a, "to": b, "ms": round((b - a) * 1000, 1), "lost": n}
                for a, b, n in self.gaps
            ],
        }


def _ms(wall: float, t0: float) -> float:
    return round((wall - t0) * 1000, 1)


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 1)
