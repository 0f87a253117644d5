"""Locus DTO -> MeetingView (PROTOCOL.md section 2), keep-alive schedule (A5)."""

import pytest

from app.core.locus import Phase, derive_view, keep_alive_interval
from app.core.protocol import ProtocolError

DEV = "http://h/wdm/api/v1/devices/d1"


def locus(
    state="IDLE",
    dev_state="IDLE",
    intent="WAIT",
    roles=("ATTENDEE",),
    info=None,
    practice=False,
    **me,
):
    device = {"url": DEV, "state": dev_state, "keepAliveUrl": "http://h/ka", "keepAliveSecs": 20}
    if intent:
        device["intent"] = {"type": intent}
    return {
        "url": "http://h/locus/api/v1/loci/L1",
        "self": {
            "id": "P1",
            "state": state,
            "devices": [{"url": "other", "state": "JOINED"}, device],
            "controls": {
                "role": {
                    "roles": [{"type": r, "hasRole": True} for r in roles]
                    + [{"type": "MODERATOR", "hasRole": False}]
                }
            },
            **me,
        },
        "info": info or {},
        "controls": {"practiceSession": {"enabled": practice}},
    }


def test_guest_in_lobby() -> None:
    v = derive_view(locus(), DEV)
    assert v.phase is Phase.LOBBY and v.roles == {"ATTENDEE"} and not v.panelist
    assert v.keep_alive_secs == 20 and v.keep_alive_url == "http://h/ka"
    assert v.datachannel_url is None and v.tokens == {}


def test_admitted_with_url_and_token() -> None:
    v = derive_view(
        locus("JOINED", "JOINED", None, info={"datachannelUrl": "http://dc"}, datachannelToken="T"),
        DEV,
    )
    assert v.phase is Phase.JOINED and v.datachannel_url == "http://dc"
    assert v.tokens == {"llm-default-session": "T"}
    assert not v.practice_eligible


def test_practice_eligibility_needs_all_four() -> None:
    info = {"datachannelUrl": "http://dc", "practiceSessionDatachannelUrl": "http://ps"}
    yes = derive_view(locus("JOINED", "JOINED", None, ("PANELIST",), info, True), DEV)
    assert yes.practice_eligible and yes.role_label == "PANELIST"
    assert not derive_view(
        locus("JOINED", "JOINED", None, ("ATTENDEE",), info, True), DEV
    ).practice_eligible
    assert not derive_view(
        locus("JOINED", "JOINED", None, ("PANELIST",), info, False), DEV
    ).practice_eligible
    no_url = {"datachannelUrl": "http://dc"}
    assert not derive_view(
        locus("JOINED", "JOINED", None, ("PANELIST",), no_url, True), DEV
    ).practice_eligible
    assert not derive_view(
        locus("IDLE", "IDLE", "WAIT", ("PANELIST",), info, True), DEV
    ).practice_eligible


def test_left_and_not_our_device() -> None:
    assert derive_view(locus("LEFT", "LEFT", None), DEV).phase is Phase.LEFT
    assert derive_view(locus("JOINED", "JOINED", None), "someone-else").phase is Phase.LEFT


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        {},
        {"url": 3},
        {"url": "u", "self": []},
        {"url": "u", "self": {"devices": {}}},
        {"url": "u", "controls": {"practiceSession": 1}},
    ],
)
def test_bad_locus_raises_protocol_error(bad) -> None:
    with pytest.raises(ProtocolError):
        derive_view(bad, DEV)


def test_keep_alive_interval_a5() -> None:
    assert keep_alive_interval(20) == pytest.approx(14.25)  # (20 - 1) * 750 ms
    assert keep_alive_interval(2) == pytest.approx(0.75)
    assert keep_alive_interval(1) is None and keep_alive_interval(None) is None
