"""JSON request bodies with readable 400 answers instead of tracebacks."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.requests import ClientDisconnect, Request

from app.sim.model import SimError

_MISSING = object()


class Body:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    async def read(cls, request: Request) -> Body:
        try:
            raw = await request.body()
        except ClientDisconnect:  # nobody will read the answer; not a server error
            raise SimError(499, "client went away before sending its body") from None
        if not raw.strip():
            return cls({})
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SimError(400, f"body is not valid JSON: {str(exc)[:120]}") from None
        except RecursionError:
            raise SimError(400, "body is not valid JSON: nested too deeply") from None
        if not isinstance(data, dict):
            raise SimError(400, "body must be a JSON object")
        return cls(data)

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name, _MISSING)
        if value is None:
            value = _MISSING
        if value is _MISSING and required:
            raise SimError(400, f"field {name!r} is required")
        return value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        default: str | None = None,
        choices: Iterable[str] | None = None,
    ) -> str | None:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or not value:
            raise SimError(400, f"field {name!r} must be a non-empty string")
        if choices is not None and value not in choices:
            raise SimError(400, f"field {name!r} must be one of {sorted(choices)}, not {value!r}")
        return value

    def boolean(self, name: str, *, required: bool = False, default: bool = False) -> bool:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            raise SimError(400, f"field {name!r} must be true or false")
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise SimError(400, f"field {name!r} must be an integer")
        if minimum is not None and value < minimum:
            raise SimError(400, f"field {name!r} must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise SimError(400, f"field {name!r} must be at most {maximum}")
        return value

    def number(
        self, name: str, *, required: bool = False, minimum: float = 0.0, maximum: float
    ) -> float | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SimError(400, f"field {name!r} must be a number")
        if not minimum <= value <= maximum:
            raise SimError(400, f"field {name!r} must be between {minimum} and {maximum}")
        return float(value)

    def string_list(self, name: str, *, choices: Iterable[str]) -> list[str]:
        value = self._get(name, True)
        allowed = set(choices)
        if not isinstance(value, list) or not value:
            raise SimError(400, f"field {name!r} must be a non-empty list")
        for item in value:
            if not isinstance(item, str) or item not in allowed:
                raise SimError(400, f"{name!r} entries must be among {sorted(allowed)}: {item!r}")
        return list(dict.fromkeys(value))
