"""Snapshot plumbing of the core: `evolve` (a fast dataclasses.replace) and Watch.close."""

from __future__ import annotations

import dataclasses

import pytest

from app.core.events import ChannelName, ChannelSnapshot, ChannelState, CloseInfo, Hub, evolve
from app.core.watch import Watch


def test_evolve_builds_what_replace_builds() -> None:
    snap = ChannelSnapshot(ChannelName.DEFAULT, generation=3, frames_in=7, confirmed=("x",))
    close = CloseInfo(1006, "", "lost", "reconnect", 1.0)
    changes = {"state": ChannelState.ONLINE, "last_close": close, "frames_in": 8}
    new = evolve(snap, **changes)
    assert new == dataclasses.replace(snap, **changes)
    assert new is not snap and snap.frames_in == 7  # the old one is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.frames_in = 9  # type: ignore[misc]
    assert hash(new) == hash(dataclasses.replace(snap, **changes))


def test_evolve_refuses_a_field_that_does_not_exist() -> None:
    with pytest.raises(TypeError, match="frames"):
        evolve(ChannelSnapshot(ChannelName.DEFAULT), frames=1)


def test_a_watch_can_be_closed_twice() -> None:
    hub = Hub()
    watch = Watch(hub, None)
    watch.close()
    watch.close()  # the bench closes it before its timed window and again in `finally`
