"""Chaos steps and their seeded generator (pure: no I/O, no asyncio).

A sequence is a list of `Step`s: host actions, client actions, faults and `settle` points,
each applied after its own small delay. `generate(seed)` is deterministic, and every step
has a short text form, so a failing sequence prints as `seed=S steps='...'` and replays
with `python -m app.chaos --seed S --steps '...'`.

Text form of a step: `name[:arg[:arg...]][/delay_ms]`, e.g. `close:default:4000:replaced/12`
(spaces in arguments are written as `_`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

CHANNELS = ("device", "default", "practice")
DATA_CHANNELS = ("default", "practice")

# PROTOCOL.md section 4 close-code table: (code, reason), with what the client should do.
TRANSIENT_CLOSES = (
    (1001, "going away"),
    (1011, "internal error"),
    (1000, "idle"),
    (1000, "pong not received"),
    (3050, "done (forced)"),
)
PERMANENT_CLOSES = (
    (4000, "replaced"),
    (4000, "server restarting"),  # any reason: mercury.js _onclose `case 4000`
    (4001, "drain"),  # on the active socket, with no shutdown before it
    (1003, "unsupported data"),
    (1000, "bye"),
    (3050, "done (permanent)"),
)
FAULT_ENDPOINTS = ("token", "register", "join", "keepalive", "device")
ERROR_STATUSES = {
    "token": (500, 503, 403),
    "register": (500, 503, 401),
    "join": (500, 503),
    "keepalive": (500,),
    "device": (500, 503),
}

# Steps that run in the background (they may overlap the steps after them).
CLIENT_COMMANDS = frozenset({"join", "leave", "rejoin", "refresh"})


@dataclass(frozen=True)
class Step:
    name: str
    args: tuple[str, ...] = ()
    delay_ms: int = 0

    def text(self) -> str:
        parts = [self.name, *(a.replace(" ", "_") for a in self.args)]
        out = ":".join(parts)
        return f"{out}/{self.delay_ms}" if self.delay_ms else out

    def __str__(self) -> str:
        return self.text()


KNOWN = {
    # host
    "admit": 0,
    "lobby": 0,
    "promote": 0,
    "demote": 0,
    "practice": 1,  # on | off
    "rotate": 1,  # default | practice
    "tokens": 2,  # expire | revoke, default | practice | all
    "end": 0,
    # client
    "join": 0,
    "leave": 0,
    "rejoin": 0,
    "refresh": 1,  # default | practice
    "drop": 2,  # channel, close | reset | halfopen
    "reconnect": 1,  # channel
    # faults
    "close": 3,  # channel, code, reason
    "reset": 1,  # channel
    "halfopen": 1,  # channel
    "latency": 2,  # channel, ms
    "shutdown": 1,  # channel: the server drains it (make before break, then 4001)
    "fault": 4,  # endpoint, mode, count, delay_ms or status
    "restart": 0,
    # meta
    "settle": 0,
}


class StepSyntaxError(ValueError):
    pass


def parse_step(text: str) -> Step:
    body, _, delay = text.strip().partition("/")
    name, *args = body.split(":")
    if name not in KNOWN:
        raise StepSyntaxError(f"unknown step {name!r} in {text!r}")
    if len(args) != KNOWN[name]:
        raise StepSyntaxError(f"{name} takes {KNOWN[name]} arguments, got {len(args)}: {text!r}")
    try:
        delay_ms = int(delay) if delay else 0
    except ValueError:
        raise StepSyntaxError(f"bad delay in {text!r}") from None
    return Step(name, tuple(a.replace("_", " ") for a in args), delay_ms)


def parse_steps(text: str) -> list[Step]:
    return [parse_step(t) for t in text.replace(",", " ").split() if t.strip()]


def format_steps(steps: list[Step]) -> str:
    return " ".join(s.text() for s in steps)


@dataclass(frozen=True)
class Sequence:
    seed: int
    lobby: bool  # does the meeting have a lobby (from the seed)
    steps: tuple[Step, ...]

    def text(self) -> str:
        return f"seed={self.seed} steps='{format_steps(list(self.steps))}'"

    def with_steps(self, steps: list[Step]) -> Sequence:
        return Sequence(self.seed, self.lobby, tuple(steps))


def lobby_of(seed: int) -> bool:
    return random.Random(seed).random() < 0.6


# (name, weight) of everything the generator may pick after the first join
_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("admit", 8),
    ("lobby", 2),
    ("promote", 5),
    ("demote", 2),
    ("practice", 5),
    ("rotate", 3),
    ("tokens", 3),
    ("end", 1),
    ("join", 3),
    ("leave", 2),
    ("rejoin", 2),
    ("refresh", 2),
    ("drop", 3),
    ("reconnect", 2),
    ("close", 5),
    ("reset", 3),
    ("halfopen", 2),
    ("latency", 1),
    ("shutdown", 3),
    ("fault", 4),
    ("restart", 1),
    ("settle", 4),
)


def _pick(rng: random.Random) -> str:
    names = [n for n, _ in _WEIGHTS]
    weights = [w for _, w in _WEIGHTS]
    return rng.choices(names, weights)[0]


def _args(rng: random.Random, name: str) -> tuple[str, ...]:
    if name == "practice":
        return (rng.choice(("on", "on", "off")),)
    if name == "rotate":
        return (rng.choice(DATA_CHANNELS),)
    if name == "tokens":
        return (rng.choice(("expire", "revoke")), rng.choice(("default", "practice", "all")))
    if name == "refresh":
        return (rng.choice(DATA_CHANNELS),)
    if name == "drop":
        return (rng.choice(CHANNELS), rng.choice(("close", "reset", "halfopen")))
    if name == "reconnect":
        return (rng.choice(CHANNELS),)
    if name == "close":
        channel = rng.choice(CHANNELS)
        # a permanent close of the device socket would end locus updates for good (that is
        # the table's rule); then "displayed equals truth" cannot hold, so only data channels
        table = TRANSIENT_CLOSES if channel == "device" or rng.random() < 0.7 else PERMANENT_CLOSES
        code, reason = rng.choice(table)
        return (channel, str(code), reason)
    if name in ("reset", "halfopen", "shutdown"):
        return (rng.choice(CHANNELS),)
    if name == "latency":
        return (rng.choice(CHANNELS), str(rng.choice((20, 50, 100, 150))))
    if name == "fault":
        endpoint = rng.choice(FAULT_ENDPOINTS)
        mode = rng.choice(("slow", "slow", "error", "error", "hang"))
        count = str(rng.choice((1, 1, 2, 3)) if mode != "hang" else 1)
        if mode == "slow":
            extra = str(rng.choice((100, 300, 600)))  # below the chaos http timeout
        elif mode == "error":
            extra = str(rng.choice(ERROR_STATUSES[endpoint]))
        else:
            extra = "0"
        return (endpoint, mode, count, extra)
    return ()


def generate(seed: int, max_steps: int = 12, min_steps: int = 5) -> Sequence:
    """A random but reproducible sequence: it starts with a join; delays are 0-60 ms."""
    rng = random.Random(seed)
    lobby = rng.random() < 0.6  # the same first draw as lobby_of(seed)
    count = rng.randint(min_steps, max_steps)
    steps = [Step("join", (), 0)]
    for _ in range(count - 1):
        name = _pick(rng)
        delay = rng.choice((0, 0, 5, 10, 20, 40, 60))
        steps.append(Step(name, _args(rng, name), delay))
    return Sequence(seed, lobby, tuple(steps))


def replay(seed: int, steps_text: str) -> Sequence:
    return Sequence(seed, lobby_of(seed), tuple(parse_steps(steps_text)))
