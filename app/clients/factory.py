"""Making a client by kind: what `join`, the scenario runner and the window's selector call."""

from __future__ import annotations

import os
from typing import Any

from app.clients.interface import CLIENT_KINDS, Client
from app.core.settings import SDK, Settings


def make_client(
    kind: str,
    server: str,
    user_token: str,
    settings: Settings = SDK,
    display_name: str = "dcmon",
    sdk_dir: str | os.PathLike[str] | None = None,
    sim: Any = None,
) -> Client:
    """`native`: the core on `settings`. `sdk`: the Node driver (the pinned webex, or the
    SDK in `sdk_dir`); the SDK keeps its own timings, `settings` is not used by it."""
    if kind == "native":
        from app.clients.native import NativeClient

        return NativeClient.create(server, user_token, settings, display_name)
    if kind == "sdk":
        from app.clients.sdk_adapter import sdk_client

        return sdk_client(server, user_token, display_name, sdk_dir, sim=sim, settings=settings)
    raise ValueError(f"unknown client {kind!r}; one of {', '.join(CLIENT_KINDS)}")
