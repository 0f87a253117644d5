"""TOML file -> `Scenario`, or a `ScenarioError` naming the file, the step and the key.

Everything is checked before anything runs: step types, keys, value types, choices, path
shapes and mark names (a `since` must name a mark set by an earlier step).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path as FsPath
from typing import Any, NoReturn

from app.core.events import ChannelName
from app.core.locus import TOKEN_TYPES
from app.core.settings import PROFILES
from app.scenario import model as m
from app.scenario.expect_loader import build_expect
from app.scenario.fields import Fields, type_name
from app.sim.control_api import SOCKET_ACTIONS
from app.sim.faults import ENDPOINTS, MODES

MEETING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CHANNELS = tuple(c.value for c in ChannelName)
DATA_CHANNELS = ("default", "practice")
HOST_ACTIONS = (
    "admit",
    "lobby",
    "roles",
    "practice",
    "rotate",
    "tokens",
    "transcription",
    "end",
    "create",
    "captions",  # the host turns captions on / off (POST /sim/meetings/{id}/captions)
    "features",  # the device service's data-channel-with-jwt-token toggle (POST /sim/features)
)
ROLES = ("ATTENDEE", "PANELIST", "COHOST", "MODERATOR")
STEP_TYPES = (
    "join",
    "leave",
    "drop",
    "reconnect",
    "resubscribe",
    "refresh_token",
    "host",
    "fault",
    "clear_faults",
    "socket",
    "expect",
    "pause",
    "mark",
)


class ScenarioError(ValueError):
    """An invalid scenario file; the message names the file, step and key."""

    def __init__(
        self,
        file: str,
        message: str,
        step: int | None = None,
        key: str | None = None,
        section: str | None = None,  # "expect" for a step, "[setup]" for the setup
    ) -> None:
        where = file if step is None else f"{file}: step {step}"
        if section:
            where += f" ({section})" if step is not None else f": {section}"
        if key is not None:
            where += f": key {key!r}"
        super().__init__(f"{where}: {message}")
        self.file, self.step, self.key = file, step, key
        self.errors: tuple[ScenarioError, ...] = (self,)  # every error found in the file


class ScenarioErrors(ScenarioError):
    """More than one error in a file: all of them, one per line, in file order."""

    def __init__(self, file: str, errors: list[ScenarioError]) -> None:
        first = errors[0]
        ValueError.__init__(
            self, "\n".join(str(e) for e in errors) + f"\n({len(errors)} errors in {file})"
        )
        self.file, self.step, self.key = file, first.step, first.key
        self.errors = tuple(errors)


def load_file(path: str | FsPath) -> m.Scenario:
    name = str(path)
    try:
        raw = FsPath(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(name, f"not UTF-8 text (byte {exc.start})") from None
    return load_text(text, name)


def load_text(text: str, file: str = "<scenario>") -> m.Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        where = f"{file}:{found[1]}:{found[2]}" if found else file
        raise ScenarioError(where, f"not valid TOML: {message}") from None
    return _Builder(file, data).build()


class _Builder:
    def __init__(self, file: str, data: Mapping[str, Any]) -> None:
        self.file = file
        self.data = data
        self.marks: set[str] = {"start"}

    def fail_top(self, key: str | None, message: str) -> NoReturn:
        raise ScenarioError(self.file, message, key=key)

    def build(self) -> m.Scenario:
        setup = self.data.get("setup")
        if "steps" not in self.data and isinstance(setup, dict) and "steps" in setup:
            # TOML puts every key after a [setup] header inside setup
            raise ScenarioError(
                self.file,
                "`steps` ended up inside [setup]: write `steps = [...]` before the [setup] "
                "header, or write setup = { ... } as an inline table at the top",
            )
        top = Fields(self.data, self.fail_top)
        stem = FsPath(self.file).stem
        name = top.string("name", default=stem) or stem
        description = top.string("description", default="") or ""
        setup_table = top.table("setup") or {}
        steps = top.tables("steps", required=True) or []
        top.finish()
        if not steps:
            self.fail_top("steps", "needs at least one step")
        # every error of the file at once, not one per run: the setup and each step are
        # checked even after an earlier one failed
        errors: list[ScenarioError] = []
        try:
            setup = self.setup(setup_table, stem)
        except ScenarioError as exc:
            errors.append(exc)
            setup = m.Setup(meeting="scenario")  # defaults, to go on checking the steps
        built = []
        for i, table in enumerate(steps, start=1):
            try:
                built.append(self.step(i, table, setup))
            except ScenarioError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise ScenarioErrors(self.file, errors)
        return m.Scenario(self.file, name, description, setup, tuple(built))

    def setup(self, table: Mapping[str, Any], stem: str) -> m.Setup:
        def fail(key: str | None, message: str) -> NoReturn:
            raise ScenarioError(self.file, message, key=key, section="[setup]")

        f = Fields(table, fail)
        default_id = re.sub(r"[^A-Za-z0-9._-]", "-", stem)[:64] or "scenario"
        meeting = f.string("meeting", default=default_id) or default_id
        if not MEETING_ID.match(meeting):
            fail("meeting", "letters, digits, '.', '_' and '-' only (1 to 64)")
        setup = m.Setup(
            meeting=meeting,
            lobby=bool(f.boolean("lobby", default=True)),
            webinar=bool(f.boolean("webinar", default=True)),
            keep_alive_secs=f.integer("keep_alive_secs", minimum=1, maximum=3600),
            token_ttl_secs=f.integer("token_ttl_secs", minimum=1, maximum=30 * 86400),
            profile=f.string("profile", default="demo", choices=tuple(PROFILES)) or "demo",
            timeout=f.number("timeout", minimum=0.001, maximum=3600) or 5.0,
            display_name=f.string("display_name", default="dcmon scenario") or "dcmon scenario",
            create=bool(f.boolean("create", default=True)),
        )
        f.finish()
        return setup

    def step(self, index: int, table: Mapping[str, Any], setup: m.Setup) -> m.Step:
        kinds = [k for k in table if k in STEP_TYPES]
        if len(kinds) != 1:
            self._no_single_type(index, table, kinds)
        kind = kinds[0]

        def fail(key: str | None, message: str) -> NoReturn:
            raise ScenarioError(self.file, message, step=index, key=key, section=kind)

        f = Fields(table, fail)
        note = f.string("note")
        step = _BUILDERS[kind](self, f, index, note, setup)
        f.finish()
        if isinstance(step, m.Mark):
            self.marks.add(step.name or "")
        return step

    def _no_single_type(self, index: int, table: Mapping[str, Any], kinds: list[str]) -> NoReturn:
        if kinds:
            message = f"one step, one type: found {' and '.join(kinds)}"
        else:
            near = [n for k in table for n in difflib.get_close_matches(k, STEP_TYPES, n=1)]
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            keys = ", ".join(map(str, table)) or "none"
            message = f"no step type{hint}; keys were: {keys}; a step has one of: " + ", ".join(
                STEP_TYPES
            )
        raise ScenarioError(self.file, message, step=index)

    def check_since(self, f: Fields, since: str | None) -> None:
        if since is not None and since not in self.marks:
            defined = ", ".join(sorted(n for n in self.marks if n)) or "none"
            f.fail("since", f"no earlier mark named {since!r} (marks so far: {defined})")


Builder = Callable[[_Builder, Fields, int, "str | None", m.Setup], m.Step]


def _flag(f: Fields, key: str) -> None:
    if f.raw(key) is not True:
        f.fail(key, f"write `{key} = true`")


def _join(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    value = f.raw("join")
    if value is not True and not (isinstance(value, str) and MEETING_ID.match(value)):
        f.fail("join", f"`join = true` (the setup meeting) or a meeting id, not {value!r}")
    name = f.string("display_name")
    meeting = None if value is True else value
    return m.Join(index=i, note=note, meeting=meeting, display_name=name, fails=f.string("fails"))


def _leave(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    _flag(f, "leave")
    return m.Leave(index=i, note=note, fails=f.string("fails"))


def _clear(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    _flag(f, "clear_faults")
    return m.ClearFaults(index=i, note=note)


def _drop(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    channel = f.string("drop", choices=CHANNELS) or ""
    how = f.string("how", default="reset", choices=("close", "reset", "halfopen")) or "reset"
    return m.Drop(index=i, note=note, channel=channel, how=how, fails=f.string("fails"))


def _reconnect(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    channel = f.string("reconnect", choices=CHANNELS) or ""
    return m.Reconnect(index=i, note=note, channel=channel, fails=f.string("fails"))


def _resubscribe(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    channel = f.string("resubscribe", choices=CHANNELS) or ""
    return m.Resubscribe(index=i, note=note, channel=channel, fails=f.string("fails"))


def _refresh(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    kind = f.string("refresh_token", choices=TOKEN_TYPES) or ""
    return m.RefreshToken(index=i, note=note, token_type=kind, fails=f.string("fails"))


def _host(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    action = f.string("host", choices=HOST_ACTIONS) or ""
    meeting = f.string("meeting")
    if meeting is not None and not MEETING_ID.match(meeting):
        f.fail("meeting", "letters, digits, '.', '_' and '-' only (1 to 64)")
    participant = None
    if action in ("admit", "lobby", "roles"):
        participant = f.string("participant")
    args: dict[str, Any] = {}
    if action == "roles":
        args["roles"] = list(f.strings("roles", required=True, choices=ROLES) or ())
    elif action == "practice":
        args["enabled"] = f.boolean("enabled", required=True)
    elif action == "rotate":
        args["channel"] = f.string("channel", required=True, choices=DATA_CHANNELS)
    elif action == "tokens":
        args["action"] = f.string("action", required=True, choices=("expire", "revoke"))
        token_type = f.string("token_type", choices=TOKEN_TYPES)
        if token_type is not None:
            args["token_type"] = token_type
    elif action == "transcription":
        args["per_second"] = f.number("per_second", required=True, minimum=0)
    elif action == "captions":
        args["enabled"] = f.boolean("enabled", required=True)
    elif action == "features":
        args["jwt_token"] = f.boolean("jwt_token", required=True)
    elif action == "create":
        args.update(_create_args(f))
    return m.Host(
        index=i, note=note, action=action, meeting=meeting, participant=participant, args=args
    )


def _create_args(f: Fields) -> dict[str, Any]:
    args: dict[str, Any] = {
        "lobby": f.boolean("lobby", default=True),
        "webinar": f.boolean("webinar", default=True),
    }
    for key, hi in (("keep_alive_secs", 3600), ("token_ttl_secs", 30 * 86400)):
        value = f.integer(key, minimum=1, maximum=hi)
        if value is not None:
            args[key] = value
    return args


def _fault(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    endpoint = f.string("fault", choices=ENDPOINTS) or ""
    mode = f.string("mode", required=True, choices=MODES) or ""
    lowest = 200 if mode == "body" else 400  # a body fault may answer 200 with bad content
    return m.Fault(
        index=i,
        note=note,
        endpoint=endpoint,
        mode=mode,
        delay_ms=f.integer("delay_ms", minimum=0, maximum=600_000),
        status=f.integer("status", minimum=lowest, maximum=599),
        count=f.integer("count", minimum=1),
        body=f.string("body", required=mode == "body"),
        retry_after=f.integer("retry_after", minimum=0, maximum=3600),
    )


def _socket(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    channel = f.string("socket", choices=CHANNELS) or ""
    action = f.string("action", required=True, choices=SOCKET_ACTIONS) or ""
    step = m.Socket(
        index=i,
        note=note,
        channel=channel,
        action=action,
        code=f.integer("code", minimum=1000, maximum=4999),
        reason=f.string("reason"),
        ms=f.integer("ms", minimum=0, maximum=60_000, required=action == "latency"),
        meeting=f.string("meeting"),
        participant=f.string("participant"),
        frame=f.string("frame", required=action == "send"),
    )
    if step.reason is not None and len(step.reason.encode()) > 123:
        f.fail("reason", "at most 123 bytes (a close frame's limit)")
    return step


def _pause(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    seconds = f.number("pause", minimum=0, maximum=3600) or 0.0
    return m.Pause(index=i, note=note, seconds=seconds)


def _mark(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    value = f.raw("mark")
    if value is True:
        return m.Mark(index=i, note=note, name="")
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", value):
        f.fail("mark", f"`mark = true` or a name (letters, digits, '_.-'), not {value!r}")
    if value == "start" or value in b.marks:
        f.fail("mark", f"the mark name {value!r} is already taken")
    return m.Mark(index=i, note=note, name=value)


def _expect(b: _Builder, f: Fields, i: int, note: str | None, s: m.Setup) -> m.Step:
    value = f.raw("expect")
    if not isinstance(value, str):
        f.fail("expect", f"must be a path or event/events/sequence, not {type_name(value)}")
    step = build_expect(f, value, i, note, s.timeout)
    b.check_since(f, getattr(step, "since", None))
    return step


_BUILDERS: dict[str, Builder] = {
    "join": _join,
    "leave": _leave,
    "drop": _drop,
    "reconnect": _reconnect,
    "resubscribe": _resubscribe,
    "refresh_token": _refresh,
    "host": _host,
    "fault": _fault,
    "clear_faults": _clear,
    "socket": _socket,
    "expect": _expect,
    "pause": _pause,
    "mark": _mark,
}
