"""A recorded manual session as a scenario file (File > Save session as scenario).

The client and host actions and faults the user took (the session's `action` records)
become steps, in order; after each one, expectations taken from what was observed before the
next action: the events that followed it (a close and its code, back online, a refused
registration, a confirmed subscription, captions), and the state the user then saw (badge,
channel states, confirmed subscriptions). Waiting is on those conditions, never on time;
`keep_timing` adds the idle time between actions as pauses, for a demo paced like the
original. The output is TOML in the documented format (docs/SCENARIOS_FORMAT.md): running it
reproduces the session and passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.events import CoreEvent, EventKind
from app.core.incidents import Action
from app.scenario.recording import Session, SnapshotRecord

STABLE = {"online", "offline", "closed", "replaced", "waiting"}  # not a passing state
CHANNELS = ("device", "default", "practice")
MIN_WITHIN = 10.0  # s: the default deadline of a generated expectation
_STATUS = re.compile(r"\b(?:HTTP |status )?([45]\d\d)\b")


@dataclass(frozen=True)
class Options:
    name: str = "Saved session"
    meeting: str = "saved-session"
    keep_timing: bool = False  # the idle time between actions as pauses (capped)
    max_pause: float = 30.0


def scenario_from_session(session: Session, options: Options | None = None) -> str:
    """TOML text of a scenario that replays `session`'s actions and checks what was seen."""
    o = options or Options()
    ours = _our_meeting(session)
    actions = [a for a in sorted(session.actions, key=lambda a: a.wall) if _replayable(a, ours)]
    events = sorted(session.events, key=lambda e: (e.wall, e.seq))
    end = max([e.wall for e in events] + [a.wall for a in actions] + [0.0])
    setup = _setup(session, actions, ours, o)
    lines = [
        f"name = {_s(o.name)}",
        'description = """',
        f"Saved from a manual session ({session.path}, {len(actions)} actions, recorded "
        f"on {session.header.server or 'a simulator'}). The steps are the actions taken; the",
        "expectations are what was observed after each. Edit freely.",
        '"""',
        f"setup = {_table(setup)}",
        "",
        "steps = [",
    ]
    steps = [a for a in actions if not (a.source == "host" and a.name == "create")]
    for n, action in enumerate(steps):
        until = steps[n + 1].wall if n + 1 < len(steps) else end + 0.001
        mark = f"a{n + 1}"
        offset = action.wall - (session.header.started or action.wall)
        lines.append(_line({"mark": mark, "note": f"t+{offset:.1f} s in the session"}))
        lines.append(_line(_step(action, ours)))
        window = [e for e in events if action.wall <= e.wall < until]
        # since the previous action: a slow effect of that one may land after this one
        since = f"a{n}" if n else mark
        snap = _snapshot_before(session.snapshots, until)
        publish = _publish_transport((snap or {}).get("channels") or {})
        lines += [_line(x) for x in _observed(action, window, since, publish)]
        if snap is not None and not (action.source == "client" and action.name == "leave"):
            lines += [_line(x) for x in _state(snap, window)]
        if o.keep_timing and n + 1 < len(steps):
            last = window[-1].wall if window else action.wall
            idle = min(until - last, o.max_pause)
            if idle > 0.2:
                lines.append(_line({"pause": round(idle, 1), "note": "as in the session"}))
    lines.append("]")
    return "\n".join(lines) + "\n"


def _our_meeting(session: Session) -> str | None:
    for a in session.actions:
        if a.source == "client" and a.name == "join" and a.args.get("meeting"):
            return str(a.args["meeting"])
    for snap in reversed(session.snapshots):
        if snap.data.get("meeting_id"):
            return str(snap.data["meeting_id"])
    return session.header.meeting


def _replayable(a: Action, ours: str | None) -> bool:
    meeting = a.args.get("meeting")
    if a.source == "host" and a.name == "create":
        return True
    if a.source in ("host", "socket") and meeting not in (None, ours):
        return False  # another meeting's host control: nothing of ours to replay
    if a.source == "socket" and not a.ok:
        return False  # e.g. "no socket" at that moment: not part of the story
    return not (a.source == "host" and not a.ok)


def _setup(session: Session, actions: Sequence[Action], ours: str | None, o: Options) -> dict:
    setup: dict[str, Any] = {"meeting": o.meeting}
    created = next((a for a in actions if a.source == "host" and a.name == "create"), None)
    if created is not None:
        for key in ("lobby", "webinar", "keep_alive_secs", "token_ttl_secs"):
            if key in created.args:
                setup[key] = created.args[key]
    else:  # not logged (the meeting existed before): what the events show
        kinds = {e.kind for e in session.events}
        setup["lobby"] = any(
            e.kind is EventKind.PHASE and "lobby" in e.summary for e in session.events
        )
        setup["webinar"] = EventKind.ROLES in kinds
    profile = session.header.profile
    if profile in ("sdk", "demo", "test"):
        setup["profile"] = profile
    setup["timeout"] = MIN_WITHIN
    del ours
    return setup


def _step(a: Action, ours: str | None) -> dict[str, Any]:
    args = {k: v for k, v in a.args.items() if k not in ("meeting", "participant")}
    if a.source == "client":
        step: dict[str, Any]
        if a.name == "join":
            step = {"join": True}
        elif a.name == "leave":
            step = {"leave": True}
        elif a.name == "refresh_token":
            step = {"refresh_token": args.get("token_type", "llm-default-session")}
        else:  # drop, reconnect, resubscribe
            step = {a.name: args.get("channel", "default")}
            if a.name == "drop":
                step["how"] = args.get("how", "reset")
        if not a.ok:
            step["fails"] = _refusal(a.error or "")
        return step
    if a.source == "host":
        return {"host": a.name, **args}
    if a.source == "fault":
        return {"clear_faults": True} if a.name == "clear" else {"fault": a.name, **args}
    return {"socket": a.name, **args}  # socket


def _refusal(error: str) -> str:
    """What a refusal's message must contain when replayed: its HTTP status if it has one."""
    m = _STATUS.search(error)
    return m.group(1) if m else error[:40]


def _observed(
    a: Action, window: Sequence[CoreEvent], mark: str, publish: str | None
) -> list[dict[str, Any]]:
    """The events that followed an action and say what it did."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def once(key: tuple[str, str], exp: dict[str, Any], ev: CoreEvent) -> None:
        if key in seen:
            return
        seen.add(key)
        waited = ev.wall - a.wall
        if waited * 2 + 5 > MIN_WITHIN:
            exp["within"] = round(waited * 2 + 5, 1)
        out.append({"expect": "event", **exp, "since": mark})

    aimed = a.channel
    for ev in window:
        ch, d = ev.channel, ev.data
        if ch == "device" and aimed != "device":
            continue  # the device socket comes and goes with the client, not with steps
        if ch not in CHANNELS:
            if ev.kind is EventKind.ADMITTED:
                once(("admitted", ""), {"kind": "admitted"}, ev)
            continue
        if ev.kind is EventKind.CLOSED and not (d.get("by_client") and d.get("code") == 3050):
            code = d.get("code") if isinstance(d.get("code"), int) else 1006
            once(("closed", ch), {"kind": "closed", "channel": ch, "data": {"code": code}}, ev)
        elif ev.kind is EventKind.ONLINE:
            once(("online", ch), {"kind": "online", "channel": ch}, ev)
        elif ev.kind is EventKind.HTTP and ch != "http" and isinstance(d.get("status"), int):
            status = d["status"]
            once(
                (f"http {status}", ch),
                {"kind": "http", "channel": ch, "data": {"status": status}},
                ev,
            )
        elif ev.kind is EventKind.SUBSCRIBED and (
            ("online", ch) in seen or a.name == "resubscribe"
        ):
            # only with its own online: a late confirmation of an earlier reconnect is racy
            once(("subscribed", ch), {"kind": "subscribed", "channel": ch}, ev)
    captions = [e for e in window if e.kind is EventKind.TRANSCRIPT and e.data.get("final", True)]
    for ch in dict.fromkeys(e.channel for e in captions if e.channel == publish):
        first = next(e for e in captions if e.channel == ch)
        once(
            ("captions", ch), {"kind": "transcript", "channel": ch, "note": "captions flow"}, first
        )
    return out


def _snapshot_before(snaps: Sequence[SnapshotRecord], until: float) -> Mapping[str, Any] | None:
    before = [s for s in snaps if s.wall < until]
    return before[-1].data if before else None


def _state(snap: Mapping[str, Any], window: Iterable[CoreEvent]) -> list[dict[str, Any]]:
    """The state the user saw before the next action: badge, channels, subscriptions."""
    del window
    out: list[dict[str, Any]] = []
    badge = snap.get("badge")
    if isinstance(badge, str) and badge not in ("Joining",):
        out.append({"expect": "badge", "equals": badge})
    channels = snap.get("channels") or {}
    publish = _publish_transport(channels)
    for ch in CHANNELS:
        c = channels.get(ch) or {}
        state = c.get("state")
        if state in STABLE and not (ch == "device" and state == "online"):
            out.append({"expect": f"channel.{ch}.state", "equals": state})
        for sub in c.get("confirmed") or () if ch == publish else ():
            out.append({"expect": f"channel.{ch}.confirmed", "contains": sub})
    return out


def _publish_transport(channels: Mapping[str, Any]) -> str | None:
    """The socket subscriptions live on (PROTOCOL.md 5: practice when connected, else
    default); another socket's confirmation is on its way out and racy to expect."""
    for ch in ("practice", "default"):
        if (channels.get(ch) or {}).get("publish_transport"):
            return ch
    practice = (channels.get("practice") or {}).get("state")
    return "practice" if practice == "online" else "default"


# -- TOML -----------------------------------------------------------------------------------


def _s(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return _s(v)
    if isinstance(v, Mapping):
        return _table(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return _s(str(v))


def _table(d: Mapping[str, Any]) -> str:
    return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in d.items()) + " }"


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _s(k)


def _line(d: Mapping[str, Any]) -> str:
    return f"  {_table(d)},"
