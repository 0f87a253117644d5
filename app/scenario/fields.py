"""Reading one TOML table with types checked and every unknown key reported.

Each `take` names the key it reads; `finish` then rejects whatever was not read, suggesting
the nearest known key, so `equal = 1` says "did you mean 'equals'?" instead of being ignored.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

Fail = Callable[[str | None, str], NoReturn]  # (key, message) -> raises


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return "a date/time"
    return type(value).__name__


class Fields:
    def __init__(self, table: Mapping[str, Any], fail: Fail) -> None:
        self.data = table
        self.fail = fail
        self.known: list[str] = []

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str) -> Any:
        self.known.append(key)
        return self.data.get(key)

    def string(
        self,
        key: str,
        required: bool = False,
        default: str | None = None,
        choices: Sequence[str] | None = None,
    ) -> str | None:
        if required and choices is not None and key not in self.data:
            self.known.append(key)
            self.fail(key, f"is required: one of {', '.join(map(str, choices))}")
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail(key, f"must be a string, not {type_name(value)}")
        if choices is not None and value not in choices:
            self.fail(key, _choose(value, choices))
        return value

    def integer(
        self,
        key: str,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"must be an integer, not {type_name(value)}")
        _bounds(self.fail, key, value, minimum, maximum)
        return value

    def number(
        self,
        key: str,
        required: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number, not {type_name(value)}")
        _bounds(self.fail, key, value, minimum, maximum)
        return value  # as written: 20 stays 20 in reports

    def boolean(self, key: str, required: bool = False, default: bool | None = None) -> bool | None:
        value = self._get(key, required)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, not {type_name(value)}")
        return value

    def strings(
        self, key: str, required: bool = False, choices: Sequence[str] | None = None
    ) -> tuple[str, ...] | None:
        if required and choices is not None and key not in self.data:
            self.known.append(key)
            self.fail(key, f"is required: an array of {', '.join(map(str, choices))}")
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"must be an array of strings, not {type_name(value)}")
        for item in value:
            if choices is not None and item not in choices:
                self.fail(key, _choose(item, choices))
        return tuple(value)

    def table(self, key: str, required: bool = False) -> dict[str, Any] | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(key, f"must be a table ({{ ... }}), not {type_name(value)}")
        return value

    def tables(self, key: str, required: bool = False) -> list[dict[str, Any]] | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(key, f"must be an array of tables, not {type_name(value)}")
        return value

    def finish(self) -> None:
        for key in self.data:
            if key not in self.known:
                near = difflib.get_close_matches(key, self.known, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                allowed = ", ".join(sorted(set(self.known)))
                self.fail(key, f"unknown key{hint}; allowed here: {allowed}")

    def _get(self, key: str, required: bool) -> Any:
        self.known.append(key)
        if key not in self.data:
            if required:
                self.fail(key, "is required")
            return None
        return self.data[key]


def _bounds(fail: Fail, key: str, value: float, lo: float | None, hi: float | None) -> None:
    if lo is not None and value < lo:
        fail(key, f"must be at least {lo:g}, not {value:g}")
    if hi is not None and value > hi:
        fail(key, f"must be at most {hi:g}, not {value:g}")


def _choose(value: str, choices: Sequence[str]) -> str:
    near = difflib.get_close_matches(value, list(choices), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return f"{value!r} is not allowed{hint}; one of: {', '.join(map(str, choices))}"


def check_json(fail: Fail, key: str, value: Any) -> Any:
    """Operands and event data: plain JSON values only (TOML dates have no JSON form)."""
    if isinstance(value, datetime.date | datetime.time):
        fail(key, "dates and times cannot be compared; use a string or a number")
    if isinstance(value, list):
        return [check_json(fail, key, v) for v in value]
    if isinstance(value, dict):
        return {k: check_json(fail, key, v) for k, v in value.items()}
    return value
