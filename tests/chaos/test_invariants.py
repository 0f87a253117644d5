"""The invariant checks are pure: each is shown catching the fault it exists for."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.chaos.invariants import (
    check_always,
    check_event,
    check_no_reconnect_after_4000,
    check_registrations,
    check_settled,
    check_stored_tokens,
    is_quiet,
)
from app.core.events import (
    ChannelName,
    ChannelSnapshot,
    ChannelState,
    CoreEvent,
    EventKind,
    MeetingSnapshot,
)
from app.core.locus import Phase

DEVICE = "http://127.0.0.1:1/wdm/api/v1/devices/d1"
SUBS = ("transcription",)


def channel(sockets: int = 0, registrations: int = 0, **extra: Any) -> dict[str, Any]:
    socks = [{"id": f"s{i}", "subscriptions": list(SUBS)} for i in range(sockets)]
    return {
        "registrations": registrations,
        "sockets": socks,
        "registrationAttempts": registrations,
        "socketAttempts": sockets,
        "registrationsInFlight": 0,
        "maxConcurrentRegistrations": min(registrations, 1),
        **extra,
    }


def person(pid: str = "P1", phase: str = "joined", roles: tuple[str, ...] = ("ATTENDEE",),
           default: int = 1, practice: int = 0, **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {
        "participantId": pid,
        "deviceUrl": DEVICE,
        "phase": phase,
        "roles": list(roles),
        "channels": {
            "device": channel(1),
            "default": channel(default, default),
            "practice": channel(practice, practice),
        },
        **extra,
    }


def view(*people: dict[str, Any], practice: bool = False) -> dict[str, Any]:
    return {"meetingId": "m", "practiceSession": {"enabled": practice}, "participants": people}


def snap(
    phase: Phase = Phase.JOINED,
    default: ChannelState = ChannelState.ONLINE,
    practice: ChannelState = ChannelState.OFFLINE,
    pid: str | None = "P1",
    roles: tuple[str, ...] = ("ATTENDEE",),
    practice_on: bool = False,
) -> MeetingSnapshot:
    def ch(name: ChannelName, state: ChannelState) -> ChannelSnapshot:
        online = state is ChannelState.ONLINE
        subs = SUBS if name is not ChannelName.DEVICE else ()
        return ChannelSnapshot(name, state, subscriptions=subs, confirmed=subs if online else ())

    return MeetingSnapshot(
        server="http://127.0.0.1:1",
        profile="test",
        meeting_id="m",
        phase=phase,
        badge=phase.value,
        roles=roles,
        practice_enabled=practice_on,
        participant_id=pid,
        device_url=DEVICE,
        channels={
            ChannelName.DEVICE: ch(ChannelName.DEVICE, ChannelState.ONLINE),
            ChannelName.DEFAULT: ch(ChannelName.DEFAULT, default),
            ChannelName.PRACTICE: ch(ChannelName.PRACTICE, practice),
        },
    )


def kinds(violations: list[Any]) -> set[str]:
    return {v.kind for v in violations}


def test_agreement_passes_when_client_and_simulator_agree() -> None:
    assert check_settled(snap(), view(person())) == []
    assert is_quiet(snap())


def test_a_ghost_participant_is_caught() -> None:
    shown_left = snap(Phase.LEFT, ChannelState.OFFLINE)
    found = check_settled(shown_left, view(person(default=0)))
    assert "settled.phase" in kinds(found)
    other = check_settled(snap(), view(person(), person("P2", "lobby", default=0)))
    assert "settled.ghost" in kinds(other)


def test_channel_not_online_though_eligible_is_caught_unless_halted() -> None:
    down = snap(default=ChannelState.OFFLINE)
    assert "settled.not_online" in kinds(check_settled(down, view(person(default=0))))
    halted = snap(default=ChannelState.CLOSED)
    assert check_settled(halted, view(person(default=0))) == []


def test_practice_online_when_not_eligible_and_missing_when_eligible() -> None:
    wrong = snap(practice=ChannelState.ONLINE, practice_on=True)
    found = check_settled(wrong, view(person(practice=1), practice=True))
    assert "settled.online_not_eligible" in kinds(found)
    panelist = snap(roles=("PANELIST",), practice_on=True)
    missing = check_settled(panelist, view(person(roles=("PANELIST",)), practice=True))
    assert "settled.not_online" in kinds(missing)


def test_unconfirmed_subscription_is_not_quiet_and_is_caught() -> None:
    s = snap()
    default = replace(s.channel("default"), confirmed=())
    s = replace(s, channels={**s.channels, ChannelName.DEFAULT: default})
    assert not is_quiet(s)
    assert "settled.subscriptions" in kinds(check_settled(s, view(person())))


def test_always_catches_concurrency_sockets_and_use_after_leave() -> None:
    p = person()
    p["channels"]["default"]["maxConcurrentRegistrations"] = 2
    assert "always.concurrent_registrations" in kinds(check_always([view(p)], DEVICE))
    two = person(default=2)
    assert "always.two_sockets" in kinds(check_always([view(two)], DEVICE))
    left = person(phase="left", default=0)
    left["attemptsAtLeave"] = {
        "registration": {"default": 0, "practice": 0, "device": 0},
        "socket": {"default": 0, "practice": 0, "device": 0},
    }
    left["channels"]["default"]["registrationAttempts"] = 1
    assert "always.used_after_leave" in kinds(check_always([view(left)], DEVICE))


def event(kind: EventKind, ch: str, generation: int = 1, **data: Any) -> CoreEvent:
    return CoreEvent(1, 0.0, 0.0, generation, ch, kind, "x", data)


def test_event_checks() -> None:
    states = {
        ChannelName.DEVICE: ChannelState.ONLINE,
        ChannelName.DEFAULT: ChannelState.RECONNECTING,
        ChannelName.PRACTICE: ChannelState.ONLINE,
    }
    early = check_event(event(EventKind.ONLINE, "practice"), states, set(), False, 1)
    assert kinds(early) == {"always.practice_before_default"}
    stay = "stay offline (replaced)"
    replaced = event(
        EventKind.CLOSED, "default", code=4000, reason="replaced", by_client=False, action=stay
    )
    assert kinds(check_event(replaced, states, set(), False, 1)) == {"always.replaced"}
    assert check_event(replaced, states, set(), True, 1) == []
    late = event(EventKind.STATE, "default", generation=1)
    assert kinds(check_event(late, states, {1}, False, 2)) == {"always.left_generation_callback"}
    assert kinds(check_event(late, states, set(), False, 3)) == {"always.left_generation_callback"}
    assert check_event(late, states, set(), False, 2) == []  # closing while leaving: fine


def test_stored_tokens_must_belong_to_the_current_participant() -> None:
    mine = {"llm-default-session": {"sub": "P1", "meeting": "m"}}
    assert check_stored_tokens(mine, "P1", "m", True) == []
    assert kinds(check_stored_tokens(mine, "P2", "m", True)) == {"always.foreign_token"}
    assert kinds(check_stored_tokens(mine, "P1", "m", False)) == {"always.token_after_leave"}


def test_two_registrations_without_a_connect_between_are_caught() -> None:
    reg = event(EventKind.HTTP, "default", what="register")
    connecting = event(EventKind.STATE, "default", state="connecting")
    assert check_registrations([reg, connecting, reg, connecting]) == []
    assert kinds(check_registrations([reg, reg])) == {"always.registrations_per_connect"}


def test_a_binding_that_is_not_the_sockets_is_caught() -> None:
    s = snap()
    default = replace(s.channel("default"), binding="b-shown")
    s = replace(s, channels={**s.channels, ChannelName.DEFAULT: default})
    p = person()
    p["channels"]["default"]["sockets"][0]["binding"] = "b-other"
    assert "settled.binding" in kinds(check_settled(s, view(p)))
    p["channels"]["default"]["sockets"][0]["binding"] = "b-shown"
    assert check_settled(s, view(p)) == []


def test_4000_with_any_reason_must_stay_offline() -> None:
    states = dict.fromkeys(ChannelName, ChannelState.ONLINE)
    wrong = event(EventKind.CLOSED, "default", code=4000, reason="restart", action="reconnect")
    assert kinds(check_event(wrong, states, set(), False, 1)) == {"always.reconnect_after_4000"}
    right = event(EventKind.CLOSED, "default", code=4000, reason="restart",
                  action="stay offline (replaced)")  # fmt: skip
    assert check_event(right, states, set(), False, 1) == []
    closed = event(EventKind.CLOSED, "default", code=4000)
    retry = event(EventKind.RETRY, "default")
    assert kinds(check_no_reconnect_after_4000([closed, retry])) == {"always.reconnect_after_4000"}
    command = event(EventKind.COMMAND, "default")
    assert check_no_reconnect_after_4000([closed, command, retry]) == []  # the user asked
    fresh = event(EventKind.STATE, "default", state="registering")  # a new URL: a new socket
    assert check_no_reconnect_after_4000([closed, fresh, retry]) == []
    other = event(EventKind.RETRY, "practice")
    assert check_no_reconnect_after_4000([closed, other]) == []


def test_a_server_frame_without_an_id_is_caught() -> None:
    states = dict.fromkeys(ChannelName, ChannelState.ONLINE)
    no_id = event(EventKind.BAD_INPUT, "default", no_id=True)
    assert kinds(check_event(no_id, states, set(), False, 1)) == {"always.frame_without_id"}
    assert check_event(event(EventKind.BAD_INPUT, "default"), states, set(), False, 1) == []


def test_at_most_one_transcription_subscription_per_client() -> None:
    both = snap(roles=("PANELIST",), practice=ChannelState.ONLINE, practice_on=True)
    found = check_settled(both, view(person(roles=("PANELIST",), practice=1), practice=True))
    assert "settled.two_transcription" in kinds(found)
    p = person(roles=("PANELIST",), practice=1)
    p["channels"]["default"]["sockets"][0]["subscriptions"] = []
    assert "settled.two_transcription" not in kinds(check_settled(both, view(p, practice=True)))


def test_a_draining_socket_and_its_replacement_are_not_two_sockets() -> None:
    p = person(default=2)
    p["channels"]["default"]["sockets"][0]["draining"] = True
    assert "always.two_sockets" not in kinds(check_always([view(p)], DEVICE))
